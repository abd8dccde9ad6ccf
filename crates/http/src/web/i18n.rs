//! English and Chinese strings of the pages.
//!
//! One table, each line a key with its English and Chinese text; a key
//! missing from the table shows as "?" and logs a warning (a test checks
//! every key the templates use is here; keys made from data go through
//! [`tr_opt`] so the caller can show the data itself). Chinese is simplified, as the Chinese platforms
//! write it.

/// A language the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Parses `en` or `zh` (and `zh-CN`, `zh-Hans`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") {
            Some(Self::En)
        } else if s == "zh" || s.starts_with("zh-") {
            Some(Self::Zh)
        } else {
            None
        }
    }

    /// The short code (`en`, `zh`).
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    /// The code for `<html lang>`.
    pub fn html_code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh-CN",
        }
    }
}

/// The first language of an `Accept-Language` header we speak, by quality.
pub fn from_accept_language(h: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in h.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(l) = Lang::parse(tag)
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    best.map(|(_, l)| l)
}

/// The text of `key` in `lang` (the key itself if the table lacks it).
pub fn tr(lang: Lang, key: &str) -> &'static str {
    tr_opt(lang, key).unwrap_or_else(|| {
        tracing::warn!(key, "missing translation");
        "?"
    })
}

/// The text of `key` in `lang`, if the table has it (for keys made from
/// data, which may name something the table does not know yet).
pub fn tr_opt(lang: Lang, key: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
        })
}

/// Every string: (key, English, Chinese).
pub const TABLE: &[(&str, &str, &str)] = &[
    ("admin", "Admin", "管理"),
    (
        "administrative_complaint",
        "Administrative complaint",
        "行政投诉",
    ),
    (
        "advance_clock",
        "Advance the clock and run due jobs",
        "推进时钟并运行到期任务",
    ),
    ("advance_days", "Days to advance", "推进天数"),
    ("audit", "Audit log", "审计日志"),
    (
        "audit_bad",
        "The audit chain is broken at",
        "审计链在此处断裂：",
    ),
    (
        "audit_ok",
        "The audit chain verifies: every record intact",
        "审计链校验通过：所有记录完好",
    ),
    ("back_home", "Back to the start page", "返回首页"),
    (
        "bad_class",
        "not a Nice class (1–45)",
        "不是有效的尼斯分类（1–45）",
    ),
    (
        "bad_days",
        "Enter a whole number of days from 0 to 3650",
        "请输入 0 到 3650 之间的整数天数",
    ),
    (
        "case_reference",
        "Case number or filing reference",
        "案号或立案编号",
    ),
    (
        "certificate_file",
        "Registration certificate (PDF or image)",
        "注册证书（PDF 或图片）",
    ),
    ("certificates", "Certificates", "证书"),
    ("choose_one", "Choose one of the options", "请选择一项"),
    ("classes", "Nice classes", "尼斯分类"),
    (
        "classes_hint",
        "(comma-separated, e.g. 18, 25)",
        "（用逗号分隔，例如 18, 25）",
    ),
    (
        "clock_and_jobs",
        "Demo clock and deadline jobs",
        "演示时钟与期限任务",
    ),
    ("clock_now", "Clock now", "当前时钟"),
    (
        "cn_accept",
        "Valid: forward to the rights holder",
        "有效：转交权利人",
    ),
    (
        "cn_refuse",
        "Invalid: the takedown stands",
        "无效：维持删除",
    ),
    ("complainant", "Complainant", "投诉人"),
    ("complaint", "Complaint", "投诉"),
    (
        "complaints_against_me",
        "Complaints against my listings",
        "针对我商品的投诉",
    ),
    (
        "confirm_delivery",
        "Confirm delivery to the rights holder (starts the escalation window)",
        "确认已送达权利人（起算维权期限）",
    ),
    ("counter_due", "Counter-notice due", "反通知截止"),
    ("counter_notices", "Counter-notices", "反通知"),
    (
        "counter_notices_to_answer",
        "Counter-notices to answer",
        "待回应的反通知",
    ),
    (
        "counter_statement",
        "Your statement (why the listing does not infringe)",
        "您的声明（为何商品不构成侵权）",
    ),
    (
        "csrf_refused",
        "This form was not sent from this site's page, or the page is too old. Reload the page and try again.",
        "该表单不是从本站页面提交的，或页面已过期。请刷新页面后重试。",
    ),
    (
        "decision_reason",
        "Reason (required; shown to the parties)",
        "理由（必填；各方可见）",
    ),
    ("details", "Details", "详情"),
    ("due_in", "due in", "剩余"),
    ("error", "Error", "错误"),
    ("escalation_due", "Escalation window ends", "维权期限截止"),
    ("escalation_kind", "Escalation", "维权方式"),
    ("evidence", "Evidence", "证据"),
    ("evidence_files", "Evidence files", "证据文件"),
    ("file_complaint", "File a complaint", "提交投诉"),
    ("file_counter_notice", "File counter-notice", "提交反通知"),
    ("general_points", "General violation points", "一般违规分"),
    (
        "good_faith",
        "Good-faith programme bars met",
        "符合善意投诉人标准",
    ),
    ("history", "History", "历史记录"),
    ("home", "Overview", "概览"),
    ("id", "Id", "编号"),
    (
        "internal",
        "Something went wrong on our side; it was logged.",
        "服务器出错，已记录。",
    ),
    ("jobs_run", "Deadline jobs run:", "已运行期限任务："),
    ("jurisdiction", "Jurisdiction (e.g. CN)", "法域（例如 CN）"),
    ("kind", "Kind", "类型"),
    ("kind_copyright", "Copyright", "著作权"),
    ("kind_design", "Design", "外观设计"),
    ("kind_patent", "Patent", "专利"),
    ("kind_trademark", "Trademark", "商标"),
    ("lawsuit", "Lawsuit", "诉讼"),
    ("listing", "Listing", "商品"),
    ("listing_capture", "Listing as captured", "商品快照"),
    ("listings", "Listings", "商品"),
    (
        "listings_hint",
        "(listing ids, one per line or comma-separated)",
        "（商品编号，每行一个或用逗号分隔）",
    ),
    (
        "listings_required",
        "Name at least one listing",
        "请至少填写一个商品",
    ),
    ("login", "Sign in", "登录"),
    (
        "login_failed",
        "Wrong user or password.",
        "用户名或密码错误。",
    ),
    (
        "login_throttled",
        "Too many failed sign-ins from here. Wait 15 minutes and try again.",
        "此处登录失败次数过多，请 15 分钟后再试。",
    ),
    ("logout", "Sign out", "退出"),
    (
        "manifestly_unfounded",
        "Manifestly unfounded (counts towards DSA Art. 23)",
        "明显无依据（计入 DSA 第 23 条）",
    ),
    ("menu", "Menu", "菜单"),
    ("my_complaints", "My complaints", "我的投诉"),
    ("my_rights", "My rights", "我的权利"),
    ("my_standing", "My penalty record", "我的处罚记录"),
    ("name", "Name", "名称"),
    ("next_deadline", "Next deadline", "下一期限"),
    (
        "next_step",
        "What happens at the next step",
        "下一步将发生什么",
    ),
    ("no", "No", "否"),
    ("no_complaints", "No complaints yet.", "暂无投诉。"),
    (
        "no_counter_notices",
        "No counter-notices wait for a decision or a delivery.",
        "没有待处理或待送达的反通知。",
    ),
    ("no_history", "No history yet.", "暂无历史记录。"),
    (
        "no_next_step",
        "No further penalty is pending.",
        "暂无后续处罚。",
    ),
    (
        "no_penalties",
        "No penalties: your record is clean.",
        "无处罚记录。",
    ),
    (
        "no_rights",
        "No rights registered yet. Register one below.",
        "尚未登记权利，请在下方登记。",
    ),
    (
        "no_rights_to_verify",
        "No rights wait for verification.",
        "没有待审核的权利。",
    ),
    ("no_users", "No users.", "没有用户。"),
    (
        "no_verified_rights",
        "You need a verified right to file a complaint.",
        "需要已审核通过的权利才能投诉。",
    ),
    (
        "not_found",
        "Not found: it does not exist, or it is not yours to see.",
        "未找到：该对象不存在，或您无权查看。",
    ),
    ("nothing_here", "Nothing here yet.", "暂无内容。"),
    ("organisation", "Organisation", "组织"),
    ("overdue_by", "overdue by", "已逾期"),
    ("owner", "Owner", "权利人"),
    ("password", "Password", "密码"),
    ("penalties", "Penalties", "处罚"),
    ("penalty", "Penalty", "处罚"),
    ("platform_time", "Platform time", "平台时间"),
    (
        "queue_empty",
        "The review queue is empty.",
        "审核队列为空。",
    ),
    ("reason", "Reason", "理由"),
    ("reason_copyright", "Copyright infringement", "著作权侵权"),
    ("reason_counterfeit", "Counterfeit", "假冒"),
    ("reason_design", "Design infringement", "外观设计侵权"),
    (
        "reason_if_rejecting",
        "Reason (required to reject)",
        "理由（驳回时必填）",
    ),
    ("reason_patent", "Patent infringement", "专利侵权"),
    ("reason_required", "This field is required.", "此项为必填。"),
    ("reason_trademark_misuse", "Trademark misuse", "商标滥用"),
    ("record_escalation", "Record escalation", "登记维权"),
    ("register_right", "Register a right", "登记权利"),
    ("registered_right", "The registered right", "登记的权利"),
    ("evidence_dossier", "Evidence dossier", "证据材料包"),
    (
        "download_dossier",
        "Download evidence dossier (ZIP)",
        "下载证据材料包（ZIP）",
    ),
    (
        "dossier_hint",
        "PDF, every evidence file, the audit records and a manifest of SHA-256 hashes; check it with `rightsguard dossier verify`",
        "含 PDF、全部证据文件、审计记录及 SHA-256 清单；可用 `rightsguard dossier verify` 离线校验",
    ),
    (
        "reversed_by_counter_notice",
        "Takedowns reversed",
        "删除被撤销比例",
    ),
    ("registration_number", "Registration number", "注册号"),
    ("reject", "Reject", "驳回"),
    ("review_due", "Review due", "审核截止"),
    ("review_queue", "Review queue", "审核队列"),
    ("right", "Right", "权利"),
    ("right_expired", "Expired", "已过期"),
    ("right_pending", "Awaiting verification", "待审核"),
    ("right_rejected", "Rejected", "已驳回"),
    ("right_revoked", "Revoked", "已撤销"),
    ("right_verified", "Verified", "已审核"),
    ("rights_to_verify", "Rights to verify", "待审核权利"),
    ("role", "Role", "角色"),
    ("role_admin", "Admin", "管理员"),
    ("role_agent", "Agent", "代理人"),
    ("role_reviewer", "Reviewer", "审核员"),
    ("role_rights_holder", "Rights holder", "权利人"),
    ("role_seller", "Seller", "卖家"),
    ("role_system", "System", "系统"),
    ("round", "Round", "轮次"),
    ("run_jobs", "Run due jobs now", "立即运行到期任务"),
    ("seller", "Seller", "卖家"),
    ("serious_strikes", "Serious violations", "严重违规"),
    ("skip_to_content", "Skip to content", "跳到正文"),
    ("sla", "SLA", "时限"),
    (
        "st_counter_notice_pending",
        "Counter-notice to review",
        "反通知待审核",
    ),
    ("st_escalated", "Escalated", "已维权"),
    ("st_established", "Established", "已成立"),
    ("st_forwarded", "Counter-notice forwarded", "反通知已转交"),
    ("st_out_of_scope", "Out of scope", "超出范围"),
    ("st_reinstated", "Reinstated", "已恢复"),
    ("st_rejected", "Rejected", "已驳回"),
    ("st_under_review", "Under review", "审核中"),
    ("st_upheld", "Taken down", "已删除"),
    ("st_withdrawn", "Withdrawn", "已撤回"),
    ("state", "State", "状态"),
    ("store_active", "Trading", "正常经营"),
    ("store_closed_since", "Closed since", "已关店，自"),
    ("store_frozen_until", "Frozen until", "冻结至"),
    ("store_status", "Store", "店铺"),
    ("submitted", "Submitted", "提交时间"),
    (
        "system_clock",
        "The server runs on the system clock; it cannot be moved.",
        "服务器使用系统时钟，无法调整。",
    ),
    (
        "takedowns_to_answer",
        "Takedowns you can answer",
        "可回应的删除",
    ),
    ("uphold", "Uphold: take the listing down", "成立：删除商品"),
    ("user_id", "User id", "用户名"),
    ("users", "Users", "用户"),
    ("valid_from", "Valid from", "有效期起"),
    ("valid_until", "Valid until (optional)", "有效期至（可选）"),
    ("verify", "Verify", "审核通过"),
    ("when", "When", "时间"),
    ("yes", "Yes", "是"),
    ("withdraw", "Withdraw", "撤回"),
    ("days", "days", "天"),
    ("decided", "decided", "已处理"),
    (
        "manifestly_unfounded_rate",
        "Manifestly unfounded",
        "明显无依据比例",
    ),
    ("notices", "Listings notified", "投诉商品数"),
    (
        "notifier_accuracy",
        "Notifier's accuracy record",
        "投诉人准确率记录",
    ),
    ("takedown_success", "Takedowns that held", "删除成立比例"),
    (
        "evidence_flags",
        "Evidence the seller showed first",
        "卖家先行展示过的证据",
    ),
    (
        "evidence_flag_hint",
        "These evidence files are, byte for byte, pictures a reported seller showed on its own listing before anyone else on the site and before this complaint. The notifier may be passing off the seller's own photos; check who made them before deciding.",
        "以下证据文件与被投诉卖家在本站最早展示、且早于本投诉的商品图片完全相同。投诉人可能将卖家自己的照片作为证据；请在决定前核实图片的来源。",
    ),
    ("first_shown_on", "first shown on listing", "最早展示于商品"),
    (
        "before_right",
        "before the right came into force",
        "早于该权利生效",
    ),
    ("my_account", "My account", "我的账户"),
    ("change_password", "Change password", "修改密码"),
    ("current_password", "Current password", "当前密码"),
    (
        "new_password",
        "New password (at least 10 characters)",
        "新密码（至少 10 个字符）",
    ),
    ("repeat_password", "New password again", "再次输入新密码"),
    (
        "wrong_password",
        "This is not your current password.",
        "当前密码不正确。",
    ),
    (
        "passwords_differ",
        "The two new passwords differ.",
        "两次输入的新密码不一致。",
    ),
    (
        "password_changed",
        "Your password was changed.",
        "密码已修改。",
    ),
    (
        "token_issued",
        "API token issued (shown only now) for",
        "已签发 API 令牌（仅显示一次），用户",
    ),
    ("token_revoked", "API token revoked:", "已撤销 API 令牌："),
    (
        "no_such_token",
        "No live token with that id.",
        "没有该编号的有效令牌。",
    ),
    ("issue_token", "Issue API token", "签发 API 令牌"),
    ("revoke_token", "Revoke API token", "撤销 API 令牌"),
    ("token_id", "Token id (tok_...)", "令牌编号（tok_...）"),
    ("dashboard", "Your complaints in figures", "投诉数据"),
    (
        "listings_by_state",
        "Listings complained of, by state",
        "被投诉商品（按状态）",
    ),
    (
        "median_decision",
        "Median time to a decision",
        "处理时长中位数",
    ),
    ("hours", "hours", "小时"),
    ("no_decisions_yet", "No decisions yet.", "尚无处理结果。"),
    ("clearance", "Trademark clearance", "商标检索"),
    (
        "clearance_intro",
        "Before filing or using a mark: which verified rights would it conflict with? Identical, look-alike, leet or spaced, misspelt, sounding alike, the same in pinyin, or one containing the other, in overlapping classes.",
        "申请或使用商标前：它会与哪些已核验的权利冲突？相同、形近、字符替换或拆分、拼写相近、读音相近、拼音相同或相互包含，且类别重叠。",
    ),
    ("proposed_mark", "Proposed mark", "拟用商标"),
    (
        "classes_optional",
        "Nice classes, comma-separated (empty: all)",
        "尼斯分类，用逗号分隔（留空：全部）",
    ),
    ("search", "Search", "检索"),
    (
        "no_conflicts",
        "No verified right conflicts with this mark in these classes.",
        "在所选类别中，没有已核验的权利与该商标冲突。",
    ),
    ("score", "Score", "相似度"),
    ("registered_mark", "Registered mark", "注册商标"),
    ("conflicting_term", "Conflicting term", "冲突词"),
    ("reasons", "Reasons", "理由"),
    ("reason_identical", "identical", "相同"),
    ("reason_visual", "looks the same", "字形相近"),
    (
        "reason_folded",
        "same once disguise is undone",
        "去除伪装后相同",
    ),
    (
        "reason_spelling",
        "spelt alike (edits)",
        "拼写相近（编辑距离）",
    ),
    ("reason_phonetic", "sounds the same", "读音相近"),
    ("reason_pinyin", "same in pinyin", "拼音相同"),
    (
        "reason_contains_word",
        "contains it as a word",
        "作为词语包含",
    ),
    (
        "reason_contains_letters",
        "contains its letters",
        "包含其字母",
    ),
    ("inbox", "Inbox", "消息"),
    ("unread", "unread", "未读"),
    ("show_all", "Show all", "显示全部"),
    ("show_unread", "Show unread only", "只看未读"),
    ("mark_read", "Mark read", "标为已读"),
    ("mark_all_read", "Mark all read", "全部标为已读"),
    ("open_complaint", "Open the complaint", "查看投诉"),
    (
        "no_notifications",
        "No notifications yet. Complaints, decisions, deadlines and penalties that concern you will appear here.",
        "暂无通知。与您有关的投诉、处理结果、期限和处罚会显示在这里。",
    ),
    (
        "no_unread_notifications",
        "Nothing unread.",
        "没有未读通知。",
    ),
    ("notification_settings", "Notification settings", "通知设置"),
    (
        "notification_language",
        "Language of notifications and e-mails",
        "通知和邮件的语言",
    ),
    ("email_address", "E-mail address", "电子邮箱"),
    (
        "email_hint",
        "Leave empty for the inbox only.",
        "留空则只在站内消息中通知。",
    ),
    (
        "also_by_email",
        "Also send by e-mail (the inbox always gets every notification)",
        "同时发送电子邮件（站内消息始终会收到所有通知）",
    ),
    ("save", "Save", "保存"),
    ("settings_saved", "Settings saved.", "设置已保存。"),
    (
        "bad_email",
        "not an e-mail address (name@example.com)",
        "不是有效的电子邮箱（name@example.com）",
    ),
    // The rights holder's weekly bars.
    ("weekly_activity", "The last 12 weeks", "最近 12 周"),
    (
        "weekly_hint",
        "One bar per week, labelled with its Monday (UTC).",
        "每周一条，标注该周的周一（UTC）。",
    ),
    ("weekly_complaints", "Complaints filed", "提交的投诉"),
    ("weekly_takedowns", "Listings taken down", "下架的商品"),
    ("weekly_findings", "Findings found", "监测发现"),
    // Admin: Art. 23 cases and calendars.
    ("notifier_cases", "Art. 23 cases", "第 23 条案件"),
    (
        "notifier_cases_hint",
        "Notifiers warned, awaiting a decision or suspended for manifestly unfounded notices (DSA Art. 23); awaiting a decision first.",
        "因明显缺乏依据的通知而被警告、待决定或暂停的投诉人（DSA 第 23 条）；待决定的排在前面。",
    ),
    ("no_notifier_cases", "No open cases.", "没有未结案件。"),
    ("notifier", "Notifier", "投诉人"),
    ("since_or_until", "Since / until", "起始 / 截止"),
    ("decision", "Decision", "决定"),
    ("case_clear", "Clear", "正常"),
    ("case_warned", "Warned", "已警告"),
    ("case_awaiting", "Awaiting a decision", "待决定"),
    ("case_suspended", "Suspended until", "暂停至"),
    ("calendars", "Calendars", "日历"),
    (
        "calendars_hint",
        "Deadlines in a year without holiday data are counted by the weekend rule and are provisional.",
        "没有节假日数据的年份按周末规则计算期限，期限为暂定。",
    ),
    ("calendar_in_use", "used for deadlines", "用于计算期限"),
    ("time_zone", "Time zone", "时区"),
    ("holiday_data", "holiday data", "有节假日数据"),
    ("no_holiday_data", "no holiday data", "缺少节假日数据"),
    (
        "weekends_only",
        "Weekends only by design: no holiday data needed.",
        "按设计仅周末休息，无需节假日数据。",
    ),
    // Transparency report page.
    ("transparency_report", "Transparency report", "透明度报告"),
    ("period_from", "From (date)", "起始日期"),
    ("period_to", "To (date, inclusive)", "截止日期（含）"),
    ("show", "Show", "显示"),
    ("period", "Period", "期间"),
    ("download_csv", "Download CSV", "下载 CSV"),
    ("download_json", "Download JSON", "下载 JSON"),
    ("api_also", "also in the API:", "API 接口："),
    (
        "bad_date",
        "not a date (YYYY-MM-DD)",
        "不是有效日期（YYYY-MM-DD）",
    ),
    (
        "period_ends_before_it_starts",
        "the end date is before the start date",
        "截止日期早于起始日期",
    ),
    (
        "nothing_in_period",
        "Nothing in this period.",
        "此期间内没有记录。",
    ),
    ("tr_time_to_act", "Time to act", "处理时长"),
    ("tr_decisions", "Decisions taken", "已作出的决定"),
    ("tr_notices", "Notices received", "收到的通知"),
    ("tr_complaints", "Complaints", "投诉"),
    ("tr_listings", "Listings named", "涉及商品"),
    ("tr_notices_by_type", "Notices by type", "按类型统计的通知"),
    (
        "tr_notices_by_source",
        "Notices by source",
        "按来源统计的通知",
    ),
    (
        "tr_takedowns_by_ground",
        "Takedowns by ground",
        "按依据统计的下架",
    ),
    ("tr_other_actions", "Other actions", "其他处理"),
    (
        "tr_blocklist_holds",
        "Held by the keyword blocklist",
        "被关键词黑名单拦截",
    ),
    ("tr_rejected", "Rejected", "驳回"),
    (
        "tr_manifestly_unfounded",
        "Manifestly unfounded",
        "明显缺乏依据",
    ),
    (
        "tr_out_of_scope",
        "Outside the right's scope",
        "超出权利范围",
    ),
    ("tr_withdrawn", "Withdrawn", "撤回"),
    (
        "tr_counter_notices",
        "Counter-notices and reversals",
        "反通知与撤销",
    ),
    ("tr_filed", "Filed", "提交"),
    (
        "tr_forwarded",
        "Forwarded to the rights holder",
        "已转交权利人",
    ),
    (
        "tr_escalated",
        "Escalated (lawsuit or complaint)",
        "已升级（诉讼或投诉）",
    ),
    ("tr_reinstated", "Listings reinstated", "恢复上架的商品"),
    (
        "tr_reinstated_by_reason",
        "Reinstatements by cause",
        "按原因统计的恢复上架",
    ),
    (
        "tr_internal_complaints",
        "Internal complaints (DSA Art. 20)",
        "内部申诉（DSA 第 20 条）",
    ),
    ("tr_filed_by_sellers", "Filed by sellers", "卖家提交"),
    (
        "tr_filed_by_complainants",
        "Filed by complainants",
        "投诉人提交",
    ),
    ("tr_decided", "Decided", "已处理"),
    ("tr_reversed", "Decision reversed", "决定被撤销"),
    ("tr_confirmed", "Decision confirmed", "决定被维持"),
    ("tr_suspensions", "Suspensions", "处罚措施"),
    ("tr_store_freezes", "Stores frozen", "店铺冻结"),
    ("tr_store_closures", "Stores closed", "店铺关闭"),
    ("tr_seller_warnings", "Seller warnings", "卖家警告"),
    (
        "tr_notifier_warnings",
        "Notifiers warned (Art. 23)",
        "投诉人警告（第 23 条）",
    ),
    (
        "tr_notifier_suspensions",
        "Notifiers suspended (Art. 23)",
        "投诉人暂停（第 23 条）",
    ),
    ("findings", "Findings", "监测结果"),
    ("finding_open", "To triage", "待处理"),
    ("finding_complained", "Complained", "已投诉"),
    ("finding_dismissed", "Dismissed", "已驳回"),
    ("finding_resolved", "Resolved", "已解决"),
    (
        "no_findings",
        "No findings here. Monitoring scans every listing against your verified rights' marks and reference images; set them below.",
        "这里没有监测结果。系统会用您已核验权利的商标和参考图片扫描所有商品；请在下方设置。",
    ),
    ("select", "Select", "选择"),
    ("match", "Match", "匹配"),
    ("method", "How", "方式"),
    ("found", "Found", "发现时间"),
    ("relisting", "Relisting", "重新上架"),
    ("title", "Title", "标题"),
    ("description", "Description", "描述"),
    (
        "file_one_complaint",
        "File one complaint for the selected",
        "为所选项提交一个投诉",
    ),
    (
        "dismiss_reason",
        "Why dismiss (required to dismiss)",
        "驳回理由（驳回时必填）",
    ),
    ("dismiss_selected", "Dismiss the selected", "驳回所选项"),
    (
        "select_findings",
        "Select at least one finding.",
        "请至少选择一项监测结果。",
    ),
    ("complaints_filed", "Complaints filed:", "已提交投诉："),
    ("monitored_marks", "Marks monitored for", "监测的商标"),
    ("mark", "Mark", "商标"),
    (
        "aliases",
        "Other spellings, comma-separated",
        "其他写法，用逗号分隔",
    ),
    ("save_and_rescan", "Save and rescan", "保存并重新扫描"),
    ("images", "Images", "图片"),
    (
        "reference_images",
        "Reference images (listing pictures are matched against them)",
        "参考图片（商品图片将与之比对）",
    ),
    (
        "upload_reference_image",
        "Add a reference image (PNG, JPEG, WebP, GIF or SVG)",
        "添加参考图片（PNG、JPEG、WebP、GIF 或 SVG）",
    ),
    ("add_and_rescan", "Add and rescan", "添加并重新扫描"),
    ("remove_image", "Remove", "移除"),
    (
        "no_reference_images",
        "No reference images yet.",
        "尚无参考图片。",
    ),
    ("choose_image", "Choose an image file.", "请选择图片文件。"),
    ("image_refused", "The image was refused", "图片被拒绝"),
    ("listing_image", "Listing image", "商品图片"),
    ("hashes_n", "hashes", "个哈希"),
    (
        "image_distance",
        "Distance (bits of 256; a match is at most 31)",
        "距离（256 位中不同的位数；不超过 31 即匹配）",
    ),
    ("mark_required", "Enter the mark.", "请输入商标。"),
    ("recent_scans", "Recent scans", "最近的扫描"),
    ("no_scans", "No scans yet.", "尚无扫描。"),
    ("started", "Started", "开始时间"),
    ("listings_scanned", "Listings scanned", "已扫描商品"),
    (
        "new_known_resolved",
        "New / known / resolved",
        "新增 / 已知 / 已解决",
    ),
    ("why", "Why", "原因"),
    // The complaint page's match explanation (web/matching.rs).
    ("also_spelled", "Also spelled:", "其他写法："),
    ("reference_image", "Reference image", "参考图片"),
    (
        "match_explanation",
        "Where the mark occurs in the listing",
        "商标在商品信息中出现的位置",
    ),
    (
        "no_mark_in_listing",
        "The registered mark and its spellings do not occur in this listing's text.",
        "注册商标及其其他写法未出现在该商品的文字中。",
    ),
    ("field", "Field", "字段"),
    ("listing_text", "Listing text", "商品文字"),
    ("distance", "edit distance", "编辑距离"),
    ("method_exact", "exact", "完全一致"),
    (
        "method_folded",
        "same letters (case, width, accents)",
        "字母相同（大小写、全半角、变音符号）",
    ),
    ("method_homoglyph", "look-alike characters", "形近字符"),
    ("method_leet", "digits for letters", "以数字代替字母"),
    ("method_spaced", "spaced out", "字母间插入分隔"),
    ("method_joined", "inside a longer word", "嵌在更长的词中"),
    ("method_fuzzy", "close spelling", "拼写相近"),
    ("method_image", "image", "图片"),
    ("method_other", "other", "其他"),
    // The blocklist page (web/blocklist.rs).
    ("blocklist", "Blocklist", "屏蔽词"),
    (
        "blocklist_hint",
        "Brand terms asked to be blocked. Once an admin approves a term, a listing created or changed with it (after evasion folding, within the right's classes) is held unless its seller has an authorisation for that brand on file.",
        "申请屏蔽的品牌词。管理员批准后，新建或修改的商品若含该词（经规避归一化后，且在该权利的类别内）将被暂扣，除非卖家已备案该品牌的授权。",
    ),
    ("request_block_term", "Ask to block a term", "申请屏蔽词"),
    (
        "block_term",
        "Term (2 to 64 characters)",
        "屏蔽词（2 至 64 个字符）",
    ),
    ("block_terms", "Terms", "屏蔽词列表"),
    (
        "no_block_terms",
        "No block terms yet. A rights holder asks for one here; an admin decides.",
        "尚无屏蔽词。权利人可在此申请，由管理员决定。",
    ),
    (
        "no_verified_rights_yet",
        "You have no verified right yet: this needs a verified right.",
        "您还没有已审核通过的权利：此操作需要已审核通过的权利。",
    ),
    ("requested_at", "Asked for", "申请时间"),
    (
        "reason_to_reject_or_lift",
        "Reason (required to reject or lift)",
        "理由（驳回或解除时必填）",
    ),
    ("approve", "Approve", "批准"),
    ("lift", "Lift", "解除"),
    ("bt_requested", "Awaiting an admin", "待管理员决定"),
    ("bt_approved", "In force", "生效中"),
    ("bt_rejected", "Rejected", "已驳回"),
    ("bt_lifted", "Lifted", "已解除"),
    (
        "term_changed",
        "This term changed meanwhile (someone decided it); the list below is as it stands now.",
        "该屏蔽词已被他人处理；下表为当前状态。",
    ),
    // Brand authorisations (web/authorisations.rs).
    ("authorisations", "Brand authorisations", "品牌授权"),
    (
        "authorisations_hint",
        "A seller authorised for a brand is not held by that brand's block terms. Put an authorisation on file with its evidence (licence, contract).",
        "获得品牌授权的卖家不受该品牌屏蔽词限制。请上传证据（许可、合同）备案授权。",
    ),
    (
        "authorisations_hint_seller",
        "The brands you are authorised to sell: your listings with these brands' blocked terms are not held.",
        "您获授权销售的品牌：含这些品牌屏蔽词的商品不会被暂扣。",
    ),
    (
        "grant_authorisation",
        "Put an authorisation on file",
        "备案授权",
    ),
    ("seller_org", "Seller (organisation id)", "卖家（机构编号）"),
    (
        "authorisation_evidence",
        "Evidence (licence, contract)",
        "证据（许可、合同）",
    ),
    ("on_file", "On file", "已备案"),
    ("granted_by", "Granted by", "授权方"),
    ("valid_until_short", "Valid until", "有效期至"),
    ("open_ended", "open-ended", "长期有效"),
    ("au_valid", "Valid", "有效"),
    ("au_expired", "Expired", "已过期"),
    ("au_revoked", "Revoked", "已撤销"),
    ("revoke", "Revoke", "撤销"),
    ("actions", "Actions", "操作"),
    (
        "no_authorisations",
        "No authorisations on file.",
        "尚无备案的授权。",
    ),
    (
        "no_authorisations_seller",
        "No brand has authorised you yet. A brand puts its authorisation on file here.",
        "尚无品牌向您授权。品牌方可在此备案授权。",
    ),
    (
        "seller_required",
        "Enter the seller's organisation id.",
        "请输入卖家的机构编号。",
    ),
    (
        "date_format",
        "Use the form YYYY-MM-DD.",
        "请使用 YYYY-MM-DD 格式。",
    ),
    (
        "evidence_required",
        "Attach the evidence file.",
        "请附上证据文件。",
    ),
    // Internal complaints on the complaint page (DSA Art. 20).
    ("internal_complaints", "Internal complaints", "内部申诉"),
    ("by_seller", "by the seller", "卖家提出"),
    ("by_complainant", "by the complainant", "投诉人提出"),
    ("internal_pending", "Awaiting a decision", "待决定"),
    ("internal_reversed", "Decision reversed", "原决定已撤销"),
    ("internal_upheld", "Decision kept", "维持原决定"),
    (
        "internal_grounds",
        "Internal complaint against this decision: your grounds",
        "对该决定提出内部申诉：申诉理由",
    ),
    (
        "file_internal_complaint",
        "File an internal complaint",
        "提交内部申诉",
    ),
    ("internal_reverse", "Reverse the decision", "撤销原决定"),
    ("internal_keep", "Keep the decision", "维持原决定"),
    // Policy profiles and exports (web/platform.rs).
    ("policy_profiles", "Policy profiles", "规则配置"),
    (
        "policy_profiles_hint",
        "The built-in profiles (deadlines, limits, thresholds), each also with the EU overlay (+dsa). This site runs on the one marked; a site's profile is chosen when the server starts (serve --policy).",
        "内置规则配置（期限、上限、阈值），每个也可叠加欧盟规则（+dsa）。本站使用带标记的配置；配置在启动服务时选择（serve --policy）。",
    ),
    ("profile", "Profile", "配置"),
    ("version", "Version", "版本"),
    ("in_use", "in use", "使用中"),
    ("setting", "Setting", "设置项"),
    ("value", "Value", "值"),
    ("exports", "Exports", "导出"),
    (
        "exports_hint",
        "Downloads under your session, with what your role may see: the same exports as the API's.",
        "以当前会话下载，内容以您的角色可见范围为准；与 API 的导出相同。",
    ),
    (
        "dsa_statements",
        "DSA statements of reasons",
        "DSA 决定理由说明",
    ),
    (
        "dsa_statements_hint",
        "Every decision that restricted a listing or an account, in the EU Transparency Database's schema.",
        "所有限制商品或账户的决定，采用欧盟透明度数据库的格式。",
    ),
    ("lumen_notices", "Lumen notices", "Lumen 通知记录"),
    (
        "lumen_notices_hint",
        "The notices as Lumen-style records (one CSV row per infringing URL).",
        "Lumen 格式的通知记录（CSV 中每个侵权链接一行）。",
    ),
    ("complaints_csv", "Complaints (CSV)", "投诉（CSV）"),
    (
        "complaints_csv_hint",
        "Every complaint you may export, one row per listing.",
        "您可导出的所有投诉，每个商品一行。",
    ),
    (
        "transparency_export_hint",
        "Notices, actions, time to act, counter-notices and suspensions over the last 30 days (choose the period on its page).",
        "最近 30 天的通知、处理、处理时长、反通知和暂停（可在报告页选择期间）。",
    ),
    ("open", "Open", "打开"),
    // The admin page's token list.
    (
        "api_tokens",
        "API tokens (newest first)",
        "API 令牌（最新在前）",
    ),
    ("no_tokens", "No API tokens issued.", "尚未签发 API 令牌。"),
    ("token", "Token", "令牌"),
    ("issued", "Issued", "签发时间"),
    ("revoked", "Revoked", "已撤销"),
    // An agent's principal picker (web/agent.rs).
    (
        "acting_for",
        "Acting for (power of attorney)",
        "代理对象（授权委托）",
    ),
    ("switch_principal", "Switch", "切换"),
    // The transparency report's counts by key (web/reports.rs).
    ("reason_unknown", "Unknown ground", "未知理由"),
    ("source_rights_holder", "Rights holders", "权利人"),
    ("source_agent", "Agents", "代理人"),
    (
        "reinstated_internal_complaint_upheld",
        "Internal complaint upheld",
        "内部申诉成立",
    ),
    (
        "reinstated_complaint_withdrawn",
        "Complaint withdrawn",
        "投诉已撤回",
    ),
    (
        "reinstated_no_escalation_in_time",
        "No lawsuit or complaint within the window",
        "期限内未起诉或投诉",
    ),
    (
        "reinstated_escalation_found_no_infringement",
        "Court or authority found no infringement",
        "法院或主管机关认定不侵权",
    ),
    ("reinstated_other", "Other", "其他"),
    // Art. 23 decisions (web/oversight.rs).
    ("decide_below", "Decide below", "在下方决定"),
    (
        "decide_case_of",
        "Decide the case of",
        "决定此投诉人的案件：",
    ),
    ("suspend_for", "Suspend for", "暂停"),
    ("dismiss_case", "Dismiss the case", "撤销案件"),
    (
        "case_not_awaiting",
        "This case no longer awaits a decision (someone decided it, or it changed); the list below is as it stands now.",
        "此案件已不再等待决定（已有人决定或状态已变）；下表为当前状态。",
    ),
    (
        "customs_recordals",
        "Customs recordals (GACC)",
        "海关知识产权备案",
    ),
    (
        "customs_hint",
        "A recordal is valid 10 years from approval, never beyond the right's own term; renew it within the 6 months before it lapses. You are reminded in the inbox and by e-mail.",
        "备案自海关总署核准之日起有效期 10 年，且不超过权利本身的有效期；请在届满前 6 个月内申请续展。系统将通过站内信和电子邮件提醒您。",
    ),
    (
        "no_recordals",
        "No customs recordal of this right is on record yet.",
        "该权利尚无海关备案记录。",
    ),
    ("recordal_number", "Recordal number", "备案号"),
    ("approved_on", "Approved on", "核准日期"),
    ("renewed_on", "Renewed on", "续展核准日期"),
    ("recordal_valid_until", "Valid until", "有效期至"),
    ("capped_by_right", "ends with the right", "随权利到期"),
    ("renewal_opens_on", "Renewal from", "可申请续展自"),
    ("renew", "Record renewal", "登记续展"),
    (
        "record_recordal",
        "Record a customs recordal",
        "登记海关备案",
    ),
    (
        "date_expected",
        "Enter a date (YYYY-MM-DD).",
        "请输入日期（YYYY-MM-DD）。",
    ),
    ("customs_link", "Customs", "海关备案"),
    ("escalation", "Escalation", "维权升级"),
    ("escalation_packages", "Escalation packages", "维权材料包"),
    (
        "escalation_hint",
        "The evidence dossier (PDF, evidence files, the right's certificate, audit records) plus the proceedings with their documents and the customs recordals, under one manifest of SHA-256 hashes; check it with `rightsguard escalation verify`.",
        "含证据材料包（PDF、证据文件、权利证书、审计记录）以及维权程序及其文书和海关备案，统一列入 SHA-256 清单；可用 `rightsguard escalation verify` 离线校验。",
    ),
    ("proceedings", "Proceedings", "维权程序"),
    ("proceeding_documents", "Documents", "程序文书"),
    (
        "proceeding_documents_hint",
        "Attach up to three files at a time, each with a label (e.g. filed complaint, court judgment, customs approval). Documents accumulate: record the same route and reference again to add more (at most 20 per proceeding). The complaint's parties may download them.",
        "每次最多附三个文件，每个文件需填写名称（如：投诉书、判决书、海关备案批准）。文书累加：以相同途径和案号再次登记即可追加（每个程序最多 20 份）。投诉双方均可下载。",
    ),
    ("document_label", "Document label", "文书名称"),
    ("document_file", "Document file", "文书文件"),
    (
        "document_label_required",
        "Give this file a label (what it is).",
        "请填写该文件的名称（是什么文书）。",
    ),
    (
        "document_file_required",
        "Choose the file for this label.",
        "请为该名称选择文件。",
    ),
    (
        "no_proceedings",
        "No proceeding is recorded yet.",
        "尚未登记维权程序。",
    ),
    (
        "record_proceeding",
        "Record a proceeding or its outcome",
        "登记维权程序或结果",
    ),
    ("route", "Route", "途径"),
    (
        "route_administrative_complaint",
        "Administrative complaint (AMR)",
        "行政投诉（市场监管局）",
    ),
    ("route_lawsuit", "Lawsuit", "诉讼"),
    (
        "route_customs_recordal",
        "Customs recordal (GACC)",
        "海关备案（海关总署）",
    ),
    ("authority", "Authority", "受理机关"),
    ("reference", "Reference (case number)", "案号"),
    ("filed_on", "Filed on", "提交日期"),
    ("outcome", "Outcome", "结果"),
    ("decided_on", "Decided on", "决定日期"),
    ("pending_outcome", "Pending", "待决"),
    (
        "outcome_infringement_found",
        "Infringement found",
        "认定侵权",
    ),
    ("outcome_no_infringement", "No infringement", "未认定侵权"),
    ("outcome_settled", "Settled", "和解"),
    ("outcome_withdrawn", "Withdrawn", "撤回"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_we_speak() {
        assert_eq!(
            from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(
            from_accept_language("fr, en;q=0.5, zh;q=0.4"),
            Some(Lang::En)
        );
        assert_eq!(from_accept_language("fr"), None);
    }

    #[test]
    fn every_key_the_templates_use_is_translated() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("f.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(TABLE.iter().any(|(k, _, _)| *k == key), "missing key {key}");
            }
        }
        let mut keys: Vec<_> = TABLE.iter().map(|(k, _, _)| k).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
    }
}
