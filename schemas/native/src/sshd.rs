//! The RFC 3164 header and the sshd and sudo messages of `schemas/parsers/syslog.py`, as plain
//! Rust (lines of programs it has no handler for are recognised too: they give no event).
//!
//! Contract: `parse` returns `Some` only for a line whose every step it reproduces exactly
//! (the regexes' matches, backtracking included, and `normalise_user` / `normalise_host` /
//! `normalise_ip` on what they see); for anything else it returns `None` and Python parses
//! the line as before. To make "exactly" easy to be sure of, only lines of printable ASCII
//! (0x20-0x7e) are taken: Python's `\s`, `\d`, `\w`, `str.strip` and `str.lower` are then
//! the ASCII ones, and no line holds a newline, a tab or a NUL.

/// `MAX_LINE_CHARS`: longer lines are Python's (it raises BadRecord).
const MAX_LINE_BYTES: usize = 64 * 1024;
/// `message repeated N times: [...]` inside another: deeper nesting is Python's.
const MAX_REPEAT_DEPTH: u32 = 1;
/// `MAX_REPEAT`: `message repeated N times` yields at most this many events.
const MAX_REPEAT: u64 = 1000;

/// What the line's sshd message gives (`kind` 0: no event, the line is still syslog).
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Skip,
    Accepted,
    Failed,
    InvalidUser,
    NotAllowed,
    /// `sshd.closed_preauth`: a connection of a named account closed before authentication,
    /// whose failure sshd did not log (Python decides that, from `port`)
    ClosedPreauth,
    /// `sudo.command` (`_sudo`): `user`, `target_user`, `object`, `reason`
    Sudo,
}

#[derive(Debug)]
pub struct Hit<'a> {
    /// Month 1-12, day, hour, minute, second as the stamp writes them (not validated: Python's
    /// `_rfc3164_time` decides, and raises BadRecord for an impossible date).
    pub stamp: [u8; 5],
    /// `normalise_host(host)` ("" on a line of a program without a handler: no event)
    pub dst_host: String,
    pub kind: Kind,
    /// `normalise_user(user)`
    pub user: String,
    /// `_peer(peer)`: (src_ip, src_host)
    pub src_ip: String,
    pub src_host: String,
    /// `_method(method)`, "" when the event has none
    pub auth_protocol: String,
    pub reason: String,
    /// sudo: `normalise_user(USER=...) or "root"` and the command (`object`)
    pub target_user: String,
    pub object: String,
    /// how many copies of the event (`message repeated N times`, capped as in Python)
    pub count: u64,
    /// the peer's source port (`Failed` and `ClosedPreauth`; "" otherwise)
    pub port: String,
    _line: std::marker::PhantomData<&'a str>,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn printable(b: &[u8]) -> bool {
    b.iter().all(|&c| (0x20..=0x7e).contains(&c))
}

fn two_digits(b: &[u8], at: usize) -> Option<u8> {
    let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
    if x.is_ascii_digit() && y.is_ascii_digit() {
        Some((x - b'0') * 10 + (y - b'0'))
    } else {
        None
    }
}

/// End of the run of non-space bytes starting at `at` (`\S+` on printable ASCII).
fn non_space_end(b: &[u8], at: usize) -> usize {
    let mut i = at;
    while i < b.len() && b[i] != b' ' {
        i += 1;
    }
    i
}

/// The header `_HEADER` matches for an RFC 3164 stamp: `(stamp, host, tag, msg)`, or None.
fn header(line: &str) -> Option<([u8; 5], &str, &str, &str)> {
    let b = line.as_bytes();
    let mut i = 0;
    // (?:<\d{1,3}>)?
    if b.first() == Some(&b'<') {
        let mut j = 1;
        while j < b.len() && j <= 3 && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > 1 && b.get(j) == Some(&b'>') {
            i = j + 1;
        }
        // else: no PRI; the month test below fails on '<' and the line is Python's
    }
    let mon = MONTHS.iter().position(|m| b.get(i..i + 3) == Some(&m[..]))? as u8 + 1;
    i += 3;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    // (?P<day>[ \d]\d)
    let d0 = *b.get(i + 1)?;
    let d1 = *b.get(i + 2)?;
    if !(d0 == b' ' || d0.is_ascii_digit()) || !d1.is_ascii_digit() {
        return None;
    }
    let day = if d0 == b' ' { 0 } else { (d0 - b'0') * 10 } + (d1 - b'0');
    i += 3;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let hh = two_digits(b, i + 1)?;
    if b.get(i + 3) != Some(&b':') {
        return None;
    }
    let mi = two_digits(b, i + 4)?;
    if b.get(i + 6) != Some(&b':') {
        return None;
    }
    let ss = two_digits(b, i + 7)?;
    i += 9;
    // (?:\.\d{1,9})? : digits after the dot must be followed by the space below
    if b.get(i) == Some(&b'.') {
        let mut j = i + 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let digits = j - i - 1;
        if !(1..=9).contains(&digits) {
            return None;
        }
        i = j;
    }
    // " +(?P<host>\S+)"
    if b.get(i) != Some(&b' ') {
        return None;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let host_end = non_space_end(b, i);
    if host_end == i {
        return None;
    }
    let host = &line[i..host_end];
    let stamp = [mon, day, hh, mi, ss];
    // Where the tag group fails the line is still syslog, without a tag (Python gives []).
    let no_tag = Some((stamp, host, "", ""));
    // (?: +(?P<prog>[^\s\[\]:]+)(?:\[(?P<pid>[^\]\s]{1,20})\]|\])?:(?= |$))?
    // host is \S+ greedy and the rest can always match, so this group is tried only here.
    let mut j = host_end;
    if b.get(j) != Some(&b' ') {
        return no_tag; // end of line
    }
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    let prog_start = j;
    while j < b.len() && !matches!(b[j], b' ' | b'[' | b']' | b':') {
        j += 1;
    }
    if j == prog_start {
        return no_tag;
    }
    let tag = &line[prog_start..j];
    match b.get(j) {
        Some(b'[') => {
            let pid_start = j + 1;
            let mut k = pid_start;
            while k < b.len() && b[k] != b']' && b[k] != b' ' {
                k += 1;
            }
            if b.get(k) != Some(&b']') || k == pid_start || k - pid_start > 20 {
                return no_tag;
            }
            j = k + 1;
        }
        Some(b']') => j += 1,
        _ => {}
    }
    if b.get(j) != Some(&b':') {
        return no_tag;
    }
    j += 1;
    // (?= |$) then " ?(?P<msg>.*)"
    let msg = match b.get(j) {
        None => "",
        Some(b' ') => &line[j + 1..],
        Some(_) => return no_tag,
    };
    Some((stamp, host, tag, msg))
}

enum Program {
    /// `_program(tag)` is `("sshd", pam=False, _sshd)`
    Sshd,
    /// `_program(tag)` is `("sudo", pam=False, _sudo)`
    Sudo,
    /// `_program(tag)` has no handler (cron, kernel, systemd-logind ...; "" and "-": no tag):
    /// the line gives no event, whatever its message
    Unhandled,
    /// a handler this module does not mirror (sudo, su, shadow-utils, PAM, old pam tags)
    Other,
}

/// `_program(tag)`: which of `Program` the tag is.
fn program(tag: &str) -> Program {
    let mut name = tag.rsplit('/').next().unwrap_or(tag);
    let pam = name.ends_with("(pam_unix)");
    if pam {
        name = &name[..name.len() - "(pam_unix)".len()];
    }
    let sshd = matches!(name, "sshd" | "sshd-session" | "sshd-auth");
    if sshd && !pam {
        return Program::Sshd;
    }
    if name == "sudo" && !pam {
        return Program::Sudo;
    }
    // _HANDLERS, and _generic for old pam tags and _CONSOLE_SERVICES
    let handled = sshd
        || pam
        || matches!(
            name,
            "sudo" | "su" | "pkexec" | "useradd" | "userdel" | "usermod" | "groupadd"
                | "groupdel" | "gpasswd" | "passwd" | "chpasswd"
                | "login" | "gdm" | "gdm-password" | "lightdm" | "xdm" | "kdm" | "sddm"
        );
    if handled { Program::Other } else { Program::Unhandled }
}

const EMPTY: [&str; 10] = ["", "-", "--", "null", "none", "n/a", "na", "unknown", "(null)", "nil"];

/// `is_empty` on printable ASCII.
fn is_empty(value: &str) -> bool {
    let t = value.trim_matches(' ');
    EMPTY.iter().any(|e| t.eq_ignore_ascii_case(e))
}

/// `normalise_user` on printable ASCII.
fn normalise_user(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    let mut text: &str = value.trim_matches(' ');
    if is_empty(text) {
        return String::new();
    }
    if text.starts_with("arn:") {
        // text.split(":", 5)[-1]
        let resource = text.splitn(6, ':').last().unwrap_or(text);
        let parts: Vec<&str> = resource.split('/').collect();
        if parts[0] == "assumed-role" && parts.len() >= 3 {
            text = parts[parts.len() - 1];
        } else if parts[0] == "root" || resource == "root" {
            text = "root";
        } else {
            text = parts[parts.len() - 1];
        }
    }
    if let Some(k) = text.rfind('\\') {
        text = &text[k + 1..];
    }
    if let Some(k) = text.find('@') {
        text = &text[..k];
    }
    text.trim_matches(' ').to_ascii_lowercase()
}

/// `normalise_ip` on printable ASCII without ':', '[' or '%' (callers check): canonical or
/// leading-zero dotted quads; `None` is "not an address" ("" in Python).
fn normalise_ipv4(value: &str) -> Option<String> {
    let text = value.trim_matches(' ');
    let mut octets = [0u32; 4];
    let mut n = 0;
    let mut canonical = true;
    for part in text.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        canonical &= part.len() == 1 || !part.starts_with('0');
        octets[n] = part.bytes().fold(0, |acc, c| acc * 10 + u32::from(c - b'0'));
        n += 1;
    }
    if n != 4 || octets.iter().any(|&o| o > 255) {
        // _IPV4_LOOSE matched but an octet is over 255: Python returns "" (not an address);
        // any other shape fails ipaddress too, since it has no ':'.
        return None;
    }
    if canonical {
        return Some(text.to_string()); // what the formatting below gives, without it
    }
    Some(format!("{}.{}.{}.{}", octets[0], octets[1], octets[2], octets[3]))
}

/// Values whose address reading is beyond `normalise_ipv4` (IPv6, `[...]`, `%scope`).
fn ip_uncertain(value: &str) -> bool {
    value.bytes().any(|c| matches!(c, b':' | b'[' | b'%'))
}

/// `normalise_host` on printable ASCII; None when the value is Python's to read.
fn normalise_host(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(String::new());
    }
    let mut text = value.trim_matches(' ').trim_matches('\\');
    if is_empty(text) {
        return Some(String::new());
    }
    if let Some(k) = text.rfind('\\') {
        text = &text[k + 1..];
    }
    let text = text.trim_end_matches('$');
    if ip_uncertain(text) {
        return None;
    }
    if !is_empty(text) {
        if let Some(ip) = normalise_ipv4(text) {
            return Some(ip);
        }
    }
    Some(text.split('.').next().unwrap_or("").to_ascii_lowercase())
}

/// `_peer(value)`: (src_ip, src_host); None when the value is Python's to read.
fn peer(value: &str) -> Option<(String, String)> {
    if ip_uncertain(value) {
        return None;
    }
    if !is_empty(value) {
        if let Some(ip) = normalise_ipv4(value) {
            return Some((ip, String::new()));
        }
    }
    let mut host = normalise_host(value)?;
    if !host.is_empty() && host.bytes().all(|c| c.is_ascii_digit()) {
        host = value.trim_matches(' ').trim_end_matches('.').to_ascii_lowercase();
    }
    Some((String::new(), host))
}

/// `(.*?) from (\S+) <tail>` lazily from `at`: the first " from " after which a non-empty
/// peer is followed by what `tail_ok` accepts. Returns (user, peer).
fn user_from_peer<'a>(
    msg: &'a str,
    at: usize,
    tail_ok: impl Fn(&str) -> bool,
) -> Option<(&'a str, &'a str)> {
    let b = msg.as_bytes();
    let mut search = at;
    while let Some(k) = msg[search..].find(" from ") {
        let from = search + k;
        let p = from + 6;
        let end = non_space_end(b, p);
        if end > p && tail_ok(&msg[end..]) {
            return Some((&msg[at..from], &msg[p..end]));
        }
        search = from + 1;
    }
    None
}

/// ` port \d+` at the start (`re.match`: anything may follow).
fn port_prefix(rest: &str) -> bool {
    rest.strip_prefix(" port ")
        .is_some_and(|r| r.as_bytes().first().is_some_and(u8::is_ascii_digit))
}

/// `(?: port \d+)?\s*$`
fn port_to_end(rest: &str) -> bool {
    if rest.bytes().all(|c| c == b' ') {
        return true;
    }
    match rest.strip_prefix(" port ") {
        Some(r) => {
            let digits = r.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && r[digits..].bytes().all(|c| c == b' ')
        }
        None => false,
    }
}

/// `\S+` then `sep` at `at`: (word, index after sep).
fn word_then<'a>(msg: &'a str, at: usize, sep: &str) -> Option<(&'a str, usize)> {
    let end = non_space_end(msg.as_bytes(), at);
    if end == at || !msg[end..].starts_with(sep) {
        return None;
    }
    Some((&msg[at..end], end + sep.len()))
}

fn method(m: &str) -> String {
    m.split('/').next().unwrap_or("").to_ascii_lowercase()
}

struct Msg {
    kind: Kind,
    user: String,
    src_ip: String,
    src_host: String,
    auth_protocol: String,
    reason: String,
    target_user: String,
    object: String,
    count: u64,
    port: String,
}

impl Msg {
    fn skip() -> Option<Msg> {
        Some(Msg {
            kind: Kind::Skip,
            user: String::new(),
            src_ip: String::new(),
            src_host: String::new(),
            auth_protocol: String::new(),
            reason: String::new(),
            target_user: String::new(),
            object: String::new(),
            count: 1,
            port: String::new(),
        })
    }

    fn logon(kind: Kind, user: &str, peer_text: &str, proto: String, reason: &'static str) -> Option<Msg> {
        let (src_ip, src_host) = peer(peer_text)?;
        Some(Msg {
            kind,
            user: normalise_user(user),
            src_ip,
            src_host,
            auth_protocol: proto,
            reason: reason.to_string(),
            target_user: String::new(),
            object: String::new(),
            count: 1,
            port: String::new(),
        })
    }

    fn with_port(mut self, port: &str) -> Msg {
        self.port = port.to_string();
        self
    }
}

/// The digits of ` port \d+` right after `peer` (a slice of `msg`).
fn port_after<'a>(msg: &'a str, peer: &str) -> &'a str {
    let end = peer.as_ptr() as usize - msg.as_ptr() as usize + peer.len();
    let rest = msg[end..].strip_prefix(" port ").unwrap_or("");
    &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()]
}

/// `(?: port (\d+) \[preauth\]\s*$)` at the start of `rest`: the port.
fn preauth_port(rest: &str) -> Option<&str> {
    let r = rest.strip_prefix(" port ")?;
    let digits = r.bytes().take_while(u8::is_ascii_digit).count();
    let tail = r[digits..].strip_prefix(" [preauth]")?;
    (digits > 0 && tail.bytes().all(|c| c == b' ')).then(|| &r[..digits])
}

/// `_SSH_CLOSED`: (.*?) (\S+) port (\d+) \[preauth\]\s*$ lazily from `at`: (user, peer, port).
fn closed_preauth(msg: &str, at: usize) -> Option<(&str, &str, &str)> {
    let b = msg.as_bytes();
    for k in at..b.len() {
        if b[k] != b' ' {
            continue;
        }
        let end = non_space_end(b, k + 1);
        if end > k + 1 {
            if let Some(port) = preauth_port(&msg[end..]) {
                return Some((&msg[at..k], &msg[k + 1..end], port));
            }
        }
    }
    None
}

const CLOSED_PREFIXES: [&str; 3] = ["Connection closed by ", "Connection reset by ", "Disconnected from "];

/// `_sshd(line, msg)` with `line.pam` False; None when the message is Python's.
fn sshd(msg: &str, depth: u32) -> Option<Msg> {
    if msg.starts_with("Failed ") {
        // Failed (\S+) for (invalid user )?(.*?) from (\S+) port \d+
        let Some((meth, after)) = word_then(msg, 7, " for ") else {
            return Msg::skip();
        };
        let with_invalid = if msg[after..].starts_with("invalid user ") {
            user_from_peer(msg, after + 13, port_prefix)
        } else {
            None
        };
        let (invalid, (user, peer_text)) = match with_invalid {
            Some(found) => (true, found),
            None => match user_from_peer(msg, after, port_prefix) {
                Some(found) => (false, found),
                None => return Msg::skip(),
            },
        };
        let reason = if invalid {
            "invalid_user"
        } else if matches!(meth, "password" | "keyboard-interactive/pam" | "keyboard-interactive") {
            "bad_password"
        } else if meth == "publickey" {
            "bad_key"
        } else {
            "auth_failed"
        };
        let port = port_after(msg, peer_text);
        return Msg::logon(Kind::Failed, user, peer_text, method(meth), reason)
            .map(|m| m.with_port(port));
    }
    if msg.starts_with("Invalid user ") {
        // Invalid user (.*?) from (\S+)(?: port \d+)?\s*$
        return match user_from_peer(msg, 13, port_to_end) {
            Some((user, peer_text)) => {
                Msg::logon(Kind::InvalidUser, user, peer_text, String::new(), "invalid_user")
            }
            None => Msg::skip(),
        };
    }
    if msg.starts_with("pam_unix(") {
        // _PAM_PREFIX: pam_unix\(([\w.-]+):(\w+)\): ; only sshd's own service is read here
        // (every modern sshd PAM line gives no event); another service's line is Python's.
        let b = msg.as_bytes();
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut i = 9;
        while i < b.len() && (word(b[i]) || b[i] == b'.' || b[i] == b'-') {
            i += 1;
        }
        if i == 9 || b.get(i) != Some(&b':') {
            return Msg::skip();
        }
        let service = &msg[9..i];
        let mut j = i + 1;
        while j < b.len() && word(b[j]) {
            j += 1;
        }
        if j == i + 1 || !msg[j..].starts_with("): ") {
            return Msg::skip();
        }
        return if service == "sshd" { Msg::skip() } else { None };
    }
    if msg.starts_with("Accepted ") {
        // Accepted (\S+) for (.*?) from (\S+) port \d+
        let Some((meth, after)) = word_then(msg, 9, " for ") else {
            return Msg::skip();
        };
        return match user_from_peer(msg, after, port_prefix) {
            Some((user, peer_text)) => Msg::logon(Kind::Accepted, user, peer_text, method(meth), ""),
            None => Msg::skip(),
        };
    }
    if let Some(rest) = msg.strip_prefix("message repeated ") {
        // message repeated (\d{1,9}) times: \[ ?(.*)\]\s*$
        if depth >= MAX_REPEAT_DEPTH {
            return None;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=9).contains(&digits) {
            return Msg::skip();
        }
        let Some(body) = rest[digits..].strip_prefix(" times: [") else {
            return Msg::skip();
        };
        let Some(close) = body.rfind(']') else {
            return Msg::skip();
        };
        if !body[close + 1..].bytes().all(|c| c == b' ') {
            return Msg::skip();
        }
        let inner = &body[..close];
        let inner = inner.strip_prefix(' ').unwrap_or(inner);
        let n: u64 = rest[..digits].parse().ok()?;
        let mut found = sshd(inner, depth + 1)?;
        found.count *= n.min(MAX_REPEAT);
        return Some(found);
    }
    if msg.starts_with("User ") {
        // User (\S+) from (\S+) not allowed because
        let Some((user, after)) = word_then(msg, 5, " from ") else {
            return Msg::skip();
        };
        let Some((peer_text, _)) = word_then(msg, after, " not allowed because") else {
            return Msg::skip();
        };
        return Msg::logon(Kind::NotAllowed, user, peer_text, String::new(), "not_allowed");
    }
    if let Some(prefix) = CLOSED_PREFIXES.iter().find(|p| msg.starts_with(**p)) {
        let Some(rest) = msg[prefix.len()..].strip_prefix("authenticating user ") else {
            return Msg::skip();
        };
        let at = msg.len() - rest.len();
        return match closed_preauth(msg, at) {
            Some((user, peer_text, port)) => {
                Msg::logon(Kind::ClosedPreauth, user, peer_text, String::new(), "closed_preauth")
                    .map(|m| m.with_port(port))
            }
            None => Msg::skip(),
        };
    }
    Msg::skip()
}

const SUDO_REASONS: [(&str, &str); 5] = [
    ("incorrect password", "bad_password"),
    ("NOT in sudoers", "not_in_sudoers"),
    ("NOT allowed to run sudo", "not_allowed_on_host"),
    ("command not allowed", "command_not_allowed"),
    ("password is required", "password_required"),
];

/// `_sudo(line, msg)` with `line.pam` False.
fn sudo(msg: &str) -> Option<Msg> {
    if msg.starts_with("pam_unix(") {
        return Msg::skip();
    }
    // _SUDO: \s*(\S+) : (.*)
    let b = msg.as_bytes();
    let start = b.iter().take_while(|&&c| c == b' ').count();
    let Some((user, after)) = word_then(msg, start, " : ") else {
        return Msg::skip();
    };
    let rest = &msg[after..];
    // head, sep, command = rest.partition("COMMAND=")
    let Some(k) = rest.find("COMMAND=") else {
        return Msg::skip();
    };
    let (head, command) = (&rest[..k], &rest[k + 8..]);
    let strip = |t: &'_ str| -> String { t.trim_matches([' ', ';']).to_string() };
    let mut parts = head.split(" ; ");
    let first = parts.next().unwrap_or("");
    let problem = if first.contains('=') { String::new() } else { strip(first) };
    let mut target = String::new();
    for part in std::iter::once(first).chain(parts) {
        let part = strip(part);
        if let Some(value) = part.strip_prefix("USER=") {
            target = value.to_string();
        }
    }
    let mut target_user = normalise_user(&target);
    if target_user.is_empty() {
        target_user = "root".to_string(); // sudo's default runas user
    }
    let reason = if problem.is_empty() {
        String::new()
    } else {
        match SUDO_REASONS.iter().find(|(needle, _)| problem.contains(needle)) {
            Some((_, code)) => code.to_string(),
            None => {
                let mut code = problem.to_ascii_lowercase().replace(' ', "_");
                code.truncate(64); // ASCII: 64 characters
                code
            }
        }
    };
    let mut object = command.trim_matches(' ').to_string();
    object.truncate(512);
    Some(Msg {
        kind: Kind::Sudo,
        user: normalise_user(user),
        src_ip: String::new(),
        src_host: String::new(),
        auth_protocol: String::new(),
        reason,
        target_user,
        object,
        count: 1,
        port: String::new(),
    })
}

/// An RFC 3164 line of sshd, or of a program `SyslogParser` has no handler for (its stamp
/// only: Python still finds its time, which may raise), read exactly as `SyslogParser`; else
/// None.
pub fn parse(record: &str) -> Option<Hit<'_>> {
    if record.len() > MAX_LINE_BYTES {
        return None;
    }
    let line = record.trim_end_matches(['\r', '\n']);
    if !printable(line.as_bytes()) {
        return None;
    }
    let (stamp, host, tag, msg) = header(line)?;
    let (dst_host, m) = match program(tag) {
        Program::Sshd => (normalise_host(host)?, sshd(msg, 0)?),
        Program::Sudo => (normalise_host(host)?, sudo(msg)?),
        Program::Unhandled => (String::new(), Msg::skip()?),
        Program::Other => return None,
    };
    Some(Hit {
        stamp,
        dst_host,
        kind: m.kind,
        user: m.user,
        src_ip: m.src_ip,
        src_host: m.src_host,
        auth_protocol: m.auth_protocol,
        reason: m.reason,
        target_user: m.target_user,
        object: m.object,
        count: m.count,
        port: m.port,
        _line: std::marker::PhantomData,
    })
}
