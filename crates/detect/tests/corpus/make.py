# The evasion corpus, as data: rights, categories, and listings with the
# (right, method) pairs expected for each; hard negatives expect nothing.
import json
rights = [
 ("r-nike","Nike Inc.","Nike",["耐克","Air Max","Air Jordan"],[25,28]),
 ("r-adidas","adidas AG","adidas",["阿迪达斯"],[25,28]),
 ("r-apple","Apple Inc.","Apple",["iPhone","苹果"],[9]),
 ("r-dove","Unilever","Dove",[],[3]),
 ("r-lego","LEGO A/S","LEGO",[],[28]),
 ("r-shell","Shell plc","Shell",[],[4]),
 ("r-lv","Louis Vuitton Malletier","Louis Vuitton",["LV","Vuitton"],[14,18,25]),
 ("r-chanel","Chanel SAS","Chanel",["香奈儿"],[3,14,18,25]),
 ("r-gucci","Guccio Gucci S.p.A.","Gucci",["古驰"],[3,14,18,25]),
 ("r-rolex","Rolex SA","Rolex",["劳力士"],[14]),
 ("r-tnf","The North Face","The North Face",["North Face"],[18,25]),
 ("r-rayban","Luxottica","Ray-Ban",[],[9]),
 ("r-dg","Dolce & Gabbana S.r.l.","Dolce & Gabbana",["D&G"],[3,18,25]),
 ("r-balenciaga","Balenciaga","Balenciaga",[],[18,25]),
 ("r-swarovski","Swarovski AG","Swarovski",[],[14]),
 ("r-mk","Michael Kors","Michael Kors",[],[14,18,25]),
 ("r-hermes","Hermès International","Hermès",[],[14,18,25]),
 ("r-prada","Prada S.p.A.","Prada",[],[18,25]),
 ("r-samsung","Samsung Electronics","Samsung",["三星"],[9]),
 ("r-sony","Sony Group","Sony",["PlayStation"],[9,28]),
 ("r-puma","Puma SE","Puma",[],[25,28]),
 ("r-oakley","Oakley Inc.","Oakley",[],[9]),
 ("r-burberry","Burberry Ltd","Burberry",[],[18,25]),
 ("r-hellokitty","Sanrio","Hello Kitty",[],[16,25,28]),
 ("r-lacoste","Lacoste SA","Lacoste",[],[25]),
 ("r-cartier","Cartier International","Cartier",[],[14]),
 ("r-pandora","Pandora A/S","Pandora",[],[14]),
 ("r-canon","Canon Inc.","Canon",[],[9]),
 ("r-huawei","Huawei","Huawei",["华为"],[9]),
 ("r-levis","Levi Strauss & Co.","Levi's",[],[25]),
 ("r-3m","3M Company","3M",[],[9,16,17]),
 ("r-logo-only","Example Brand","",[],[25]),
 ("r-armani","Giorgio Armani S.p.A.","Armani",[],[14,18,25]),
 ("r-x5","X5 Group","Пятёрочка",[],[29,30,31,35]),
 ("r-kotsovolos","Kotsovolos","Κωτσόβολος",[],[9]),
]
cats = {"Shoes":[25],"Clothing":[25],"Bags & Luggage":[18],"Jewelry & Watches":[14],"Beauty":[3],
 "Phones & Electronics":[9],"Eyewear":[9],"Toys":[28],"Sports":[25,28],"Food":[29,30,31],
 "Home & Garden":[8,20,21],"Books":[16],"Automotive":[4,12],"Stationery":[16],"Tools":[7,8]}
# (title, description, category, [(right, method)])
L = []
def P(title, cat, hits, desc=""): L.append((title, desc, cat, hits))
N = lambda title, cat, desc="": L.append((title, desc, cat, []))
# exact
P("Nike Air Zoom running shoes","Shoes",[("r-nike","exact")])
P("Canon EOS camera battery","Phones & Electronics",[("r-canon","exact")])
P("Samsung Galaxy S21 case","Phones & Electronics",[("r-samsung","exact")])
P("Pandora charm bracelet silver","Jewelry & Watches",[("r-pandora","exact")])
P("Levi's 501 jeans","Clothing",[("r-levis","exact")])
P("3M Scotch tape 12 rolls","Stationery",[("r-3m","exact")])
P("Dove moisturising soap bar","Beauty",[("r-dove","exact")])
P("LEGO city police station","Toys",[("r-lego","exact")])
P("Vintage leather bag","Bags & Luggage",[("r-prada","exact")],"Authentic Prada saffiano, dust bag included")
P("Men's watch","Jewelry & Watches",[("r-cartier","exact")],"inspired by Cartier Santos, steel case")
P("Hello Kitty plush toy","Toys",[("r-hellokitty","exact")])
P("PlayStation 5 controller skin","Toys",[("r-sony","exact")])
# folded: fullwidth, circled, mathematical, diacritics, invisible
P("ＮＩＫＥ sneakers size 42","Shoes",[("r-nike","folded")])
P("ⒸⒽⒶⓃⒺⓁ quilted bag","Bags & Luggage",[("r-chanel","folded")])
P("𝐆𝐔𝐂𝐂𝐈 leather belt","Clothing",[("r-gucci","folded")])
P("𝓡𝓸𝓵𝓮𝔁 Submariner","Jewelry & Watches",[("r-rolex","folded")])
P("Rólex Daytona automatic","Jewelry & Watches",[("r-rolex","folded")])
P("Hermes Birkin 30 bag","Bags & Luggage",[("r-hermes","folded")])
P("Bürberry check scarf","Clothing",[("r-burberry","folded")])
P("Ro\u200blex oyster watch","Jewelry & Watches",[("r-rolex","folded")])
P("Gu\u200dcci marmont bag","Bags & Luggage",[("r-gucci","folded")])
P("Pra\u00adda nylon backpack","Bags & Luggage",[("r-prada","folded")])
P("Ｓａｍｓｕｎｇ fast charger","Phones & Electronics",[("r-samsung","folded")])
P("Lacosté polo shirt","Clothing",[("r-lacoste","folded")])
P("S\u2060w\u2060a\u2060r\u2060o\u2060v\u2060s\u2060k\u2060i pendant","Jewelry & Watches",[("r-swarovski","folded")])
# homoglyph: Cyrillic and Greek
P("Аdidаs track pants","Clothing",[("r-adidas","homoglyph")])
P("Сhаnеl No 5 perfume","Beauty",[("r-chanel","homoglyph")])
P("Rоlех watch for men","Jewelry & Watches",[("r-rolex","homoglyph")])
P("Gucсі wallet","Bags & Luggage",[("r-gucci","homoglyph")])
P("ΝΙΚΕ football boots","Shoes",[("r-nike","homoglyph")])
P("Ρrada sunglasses case","Bags & Luggage",[("r-prada","homoglyph")])
P("Lοuis Vuittοn scarf","Clothing",[("r-lv","homoglyph")])
P("Sаmsung earbuds","Phones & Electronics",[("r-samsung","homoglyph")])
P("Саnоn lens cap","Phones & Electronics",[("r-canon","homoglyph")])
P("NlKE hoodie","Clothing",[("r-nike","homoglyph")])
P("Ηuаwеі P40 cover","Phones & Electronics",[("r-huawei","homoglyph")])
# leet
P("N1ke running shorts","Clothing",[("r-nike","leet")])
P("4didas superstar","Shoes",[("r-adidas","leet")])
P("Ch4nel tweed jacket","Clothing",[("r-chanel","leet")])
P("R0lex GMT master","Jewelry & Watches",[("r-rolex","leet")])
P("Gucc1 loafers","Shoes",[("r-gucci","leet")])
P("Adida$ originals","Clothing",[("r-adidas","leet")])
P("$amsung tablet","Phones & Electronics",[("r-samsung","leet")])
P("B@lenciaga triple s","Shoes",[("r-balenciaga","leet")])
P("Pr4da re-nylon","Bags & Luggage",[("r-prada","leet")])
P("Hu4wei watch band","Phones & Electronics",[("r-huawei","leet")])
P("0akley holbrook","Eyewear",[("r-oakley","leet")])
P("L3GO compatible bricks","Toys",[("r-lego","leet")])
P("Cart1er love ring","Jewelry & Watches",[("r-cartier","leet")])
P("Burb3rry trench coat","Clothing",[("r-burberry","leet")])
P("P4ndor4 beads","Jewelry & Watches",[("r-pandora","leet")])
P("Ch@nel lipstick","Beauty",[("r-chanel","leet")])
P("Sw4rovski earrings","Jewelry & Watches",[("r-swarovski","leet")])
P("Pum4 suede classic","Shoes",[("r-puma","leet")])
# spaced
P("N.I.K.E shoes","Shoes",[("r-nike","spaced")])
P("G U C C I bag","Bags & Luggage",[("r-gucci","spaced")])
P("P-r-a-d-a tote","Bags & Luggage",[("r-prada","spaced")])
P("R O L E X watch","Jewelry & Watches",[("r-rolex","spaced")])
P("C.H.A.N.E.L perfume","Beauty",[("r-chanel","spaced")])
P("L.V. monogram bag","Bags & Luggage",[("r-lv","spaced")])
P("brand new  A_D_I_D_A_S  tee","Clothing",[("r-adidas","spaced")])
P("S*O*N*Y headphones","Phones & Electronics",[("r-sony","spaced")])
P("P U M A sneakers","Shoes",[("r-puma","spaced")])
P("D.O.V.E body wash","Beauty",[("r-dove","spaced")])
# joined and CamelCase
P("NikeAirMax 90 sneakers","Shoes",[("r-nike","joined")])
P("LouisVuitton Neverfull","Bags & Luggage",[("r-lv","joined")])
P("northface puffer jacket","Clothing",[("r-tnf","joined")])
P("TheNorthFace backpack","Bags & Luggage",[("r-tnf","joined")])
P("rayban aviator sunglasses","Eyewear",[("r-rayban","joined")])
P("MichaelKors handbag","Bags & Luggage",[("r-mk","joined")])
P("HelloKitty pencil case","Stationery",[("r-hellokitty","joined")])
P("DolceGabbana dress","Clothing",[("r-dg","joined")])
P("adidasoriginals trefoil hoodie","Clothing",[("r-adidas","joined")])
P("iPhoneCase for 13 pro","Phones & Electronics",[("r-apple","joined")])
P("SamsungGalaxy buds","Phones & Electronics",[("r-samsung","joined")])
P("airjordan 1 retro","Shoes",[("r-nike","joined")])
P("Rolex-style watch box","Jewelry & Watches",[("r-rolex","exact")])
P("Levis denim jacket","Clothing",[("r-levis","joined")])
# & / and
P("Dolce and Gabbana dress","Clothing",[("r-dg","exact")])
P("Dolce&Gabbana light blue","Beauty",[("r-dg","exact")])
P("D&G t-shirt","Clothing",[("r-dg","exact")])
P("D & G sunglasses pouch","Bags & Luggage",[("r-dg","exact")])
# CJK
P("正品耐克运动鞋","Shoes",[("r-nike","exact")])
P("香奈儿香水 正品","Beauty",[("r-chanel","exact")])
P("古驰 女包 新款","Bags & Luggage",[("r-gucci","exact")])
P("劳力士手表 男士","Jewelry & Watches",[("r-rolex","exact")])
P("华为手机壳","Phones & Electronics",[("r-huawei","exact")])
P("三星Galaxy手机膜","Phones & Electronics",[("r-samsung","exact")])
P("阿迪达斯运动裤","Clothing",[("r-adidas","exact")])
P("苹果数据线 快充","Phones & Electronics",[("r-apple","exact")])
P("正品Nike鞋","Shoes",[("r-nike","exact")])
# fuzzy
P("Vuiton wallet","Bags & Luggage",[("r-lv","fuzzy")])
P("Balenciagga sneakers","Shoes",[("r-balenciaga","fuzzy")])
P("Micheal Kors purse","Bags & Luggage",[("r-mk","fuzzy")])
P("Swarovksi crystal necklace","Jewelry & Watches",[("r-swarovski","fuzzy")])
P("Guccci slides","Shoes",[("r-gucci","fuzzy")])
P("Addidas track jacket","Clothing",[("r-adidas","fuzzy")])
P("Burbery scarf","Clothing",[("r-burberry","fuzzy")])
P("Rollex datejust","Jewelry & Watches",[("r-rolex","fuzzy")])
P("Lacost polo","Clothing",[("r-lacoste","fuzzy")])
P("Samsumg charger","Phones & Electronics",[("r-samsung","fuzzy")])
P("Huawey phone case","Phones & Electronics",[("r-huawei","fuzzy")])
P("Hermmes belt","Clothing",[("r-hermes","fuzzy")])
P("Oakely sunglasses","Eyewear",[("r-oakley","fuzzy")])
P("Pandorra bracelet","Jewelry & Watches",[("r-pandora","fuzzy")])
P("Louis Vuittton keepall","Bags & Luggage",[("r-lv","fuzzy")])
P("Balenciago speed trainer","Shoes",[("r-balenciaga","fuzzy")])
P("Cartiier bracelet","Jewelry & Watches",[("r-cartier","fuzzy")])
P("Swarowski figurine","Jewelry & Watches",[("r-swarovski","fuzzy")])
P("Chanle earrings","Jewelry & Watches",[("r-chanel","fuzzy")])
P("Balanciga bag","Bags & Luggage",[("r-balenciaga","fuzzy")])
# plurals of short marks, combinations, descriptions
P("Nikes for kids","Shoes",[("r-nike","exact")])
P("Legos bulk 1kg","Toys",[("r-lego","exact")])
P("Running shoes","Shoes",[("r-nike","leet")],"Same factory as N1KE, top quality")
P("Designer bag","Bags & Luggage",[("r-lv","spaced"),("r-gucci","exact")],"L.V. style, also fits Gucci fans")
P("Ｇｕｃｃｉ and Ｐｒａｄａ belt set","Clothing",[("r-gucci","folded"),("r-prada","folded")])
P("Apple iPhone 13 case","Phones & Electronics",[("r-apple","exact")])
P("Watch strap","Jewelry & Watches",[("r-rolex","fuzzy")],"fits Rolx and other brands")
P("Soft toy","Toys",[("r-hellokitty","exact")],"hello kitty style cat")
P("Oakley Radar EV","Eyewear",[("r-oakley","exact")])
P("Shell V-Power engine oil 5L","Automotive",[("r-shell","exact")])
P("Puma sports bag","Sports",[("r-puma","exact")])
P("Nike Air Max 97","Shoes",[("r-nike","exact")])
# hard negatives: whole-word rule, dictionary words, multi-word, class gating
N("Dovetail wooden soap box","Beauty")
N("Legolas elf action figure","Toys")
N("Legoland souvenir keyring","Toys")
N("Pineapple phone case","Phones & Electronics")
N("Fresh Apple Fruit 1kg","Food")
N("Apple pie baking mould","Home & Garden")
N("Channel crossbody bag strap","Bags & Luggage")
N("Chapel wedding veil","Clothing")
N("Blueberry print summer dress","Clothing")
N("Shellac wood finish","Automotive")
N("Sea shell necklace","Jewelry & Watches")
N("Canonical USB cable","Phones & Electronics")
N("Canon in D sheet music","Books")
N("Nikon binoculars for hiking","Sports")
N("Louis Armstrong t-shirt","Clothing")
N("North facing balcony planter","Home & Garden")
N("Face cream for the north wind","Beauty")
N("Crocodile leather belt","Clothing")
N("Two doves greeting card","Stationery")
N("Pumas stuffed animal","Toys")
N("Sonya fashion doll","Toys")
N("Samsonite luggage tag","Bags & Luggage")
N("Michael Jordan biography","Books")
N("Michael's craft kit","Toys")
N("Lactose free protein","Food")
N("Lactose intolerant funny t-shirt","Clothing")
N("Air max humidifier","Home & Garden")
N("Nike sports drink powder","Food")
N("Gucci-themed birthday cake topper","Food")
N("Pandora's box mythology book","Books")
N("Swarovski crystal blue paint","Tools")
N("Rolex watch box wooden","Home & Garden")
N("Chanel inspired notebook","Books")
N("Hello, kitty litter scoop","Home & Garden")
N("Apple watch band","Clothing")
N("Samsung phone holder for car","Automotive")
N("Primer for shelves","Home & Garden")
N("Vans for delivery toy set","Toys")
N("Genuine leather wallet","Bags & Luggage")
N("Cotton t-shirt plain white","Clothing")
N("Wooden toy train set","Toys")
N("Stainless steel kitchen knife","Tools")
N("Organic green tea 100 bags","Food")
N("USB-C fast charging cable 2m","Phones & Electronics")
N("Running shoes breathable mesh size 10","Shoes")
N("Silver plated hoop earrings","Jewelry & Watches")
N("Rose scented body lotion","Beauty")
N("Polarized sports sunglasses UV400","Eyewear")
N("Children's picture book about dragons","Books")
N("Car floor mats universal","Automotive")
N("Yoga mat non slip 6mm","Sports")
N("Hand cream with shea butter","Beauty")
N("Leather belt brown 120cm","Clothing")
N("Quartz wall clock silent","Home & Garden")
N("Chunky knit winter scarf","Clothing")
N("Travel backpack 40L","Bags & Luggage")
N("Gel pens 24 colours","Stationery")
N("Bluetooth speaker waterproof","Phones & Electronics")
N("Diamond cut pendant chain","Jewelry & Watches")
N("Basketball size 7 indoor","Sports")
N("Shoe horn long handle","Shoes")
N("Magnetic phone mount","Phones & Electronics")
N("Kids rain boots with frogs","Shoes")
N("Canvas tote bag with zipper","Bags & Luggage")
N("Mens dress watch leather strap","Jewelry & Watches")
N("Noise cancelling headphones","Phones & Electronics")
N("Puzzle 1000 pieces landscape","Toys")
N("Face mask sheet collagen","Beauty")
N("Cheap handbag","Bags & Luggage","Size 30 x 20 cm, leather look, magnetic clasp")
N("Watch","Jewelry & Watches","Water resistant 50m, sapphire glass, 2 year warranty")
N("Sneakers","Shoes","Lightweight, mesh upper, rubber sole; model 2024 N-1 edition")
N("Perfume 100ml","Beauty","Notes of citrus & jasmine; long lasting")
N("Phone case","Phones & Electronics","For iPhone-sized phones? No: for Galaxy-size 6.1 inch")
N("Supreme quality cotton hoodie","Clothing")
N("Prime members discount shoes","Shoes")
N("Premium leather card holder","Bags & Luggage")
N("Gold hoops by Chantal","Jewelry & Watches")
N("Shelley poetry collection","Books")
N("Grand Canyon poster","Books")
N("Pumice stone foot scrubber","Beauty")
N("Rolled hem linen shirt","Clothing")
N("Carrier bag for cats","Bags & Luggage")
N("Hermit crab shell","Home & Garden")
N("Camera lens cleaning kit","Phones & Electronics")
N("Ray of light desk lamp","Home & Garden")
N("Dolce vita summer dress","Clothing")
N("Kitty cat ears headband","Clothing")
N("Adios amigo party banner","Home & Garden")
N("Sony-compatible charger","Food")
N("Lacrosse stick for beginners","Sports")
N("Pradera hat","Clothing")
N("Michaela floral dress","Clothing")
N("Burberry-coloured paint sample","Tools")
N("Chanel","Food")
N("iPhone","Books")
N("3 m long HDMI cable","Phones & Electronics")
N("Huawei-compatible? no: generic USB hub","Food")

# "rn" for "m", and misspellings outside ASCII; words that the rn/m merge
# or a non-ASCII edit would bring near a mark stay negatives
P("Arrnani jeans","Clothing",[("r-armani","homoglyph")])
P("Giorgio ARRNANI suit","Clothing",[("r-armani","homoglyph")])
P("rnichael kors handbag","Bags & Luggage",[("r-mk","homoglyph")])
P("Armani watch","Jewelry & Watches",[("r-armani","exact")])
P("Пятерочко продукты","Food",[("r-x5","fuzzy")])
P("скидки Пятёрчка","Food",[("r-x5","fuzzy")])
P("Κωτσόβολλος τηλεόραση","Phones & Electronics",[("r-kotsovolos","fuzzy")])
N("modern armchair","Home & Garden")
N("corner sofa with burnished legs","Home & Garden")
N("Пятница: свежие продукты","Food")
N("Κωτσόβολος","Food")

# Writes the corpus files beside this script: python3 make.py
if __name__ == "__main__":
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "rights.jsonl"), "w") as f:
        for rid, owner, mark, aliases, cl in rights:
            d = {"id": rid, "owner": owner, "kind": "trademark", "mark": mark, "aliases": aliases,
                 "nice_classes": cl, "jurisdiction": "CN"}
            if rid == "r-logo-only":
                d["images"] = ["logos/example.png"]
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(os.path.join(here, "categories.json"), "w") as f:
        json.dump(cats, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(here, "listings.jsonl"), "w") as f, \
            open(os.path.join(here, "expected.jsonl"), "w") as g:
        for i, (t, d, c, h) in enumerate(L):
            lid = f"l-{i + 1:03d}"
            assert c in cats, c
            f.write(json.dumps({"id": lid, "seller_id": f"s-{i % 7 + 1}", "title": t, "description": d,
                                "category": c, "images": []}, ensure_ascii=False) + "\n")
            for r, m in h:
                g.write(json.dumps({"listing_id": lid, "right_id": r, "method": m}) + "\n")
