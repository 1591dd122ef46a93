package pgwire

import (
	"slices"
	"strings"
)

// setting is one run-time parameter as pg_settings describes it.
type setting struct {
	name, value, category, desc string
	report                      bool // sent as ParameterStatus at startup and on change
}

// defaultSettings are the parameters a session starts with. Clients read
// them with SHOW, current_setting and pg_settings; SET changes the
// session's copy and nothing else.
func defaultSettings(version, user, db, app string) []setting {
	return []setting{
		{"server_version", strings.Fields(version)[0], "Preset Options", "Shows the server version.", true},
		{"server_version_num", versionNum(version), "Preset Options", "Shows the server version as an integer.", false},
		{"server_encoding", "UTF8", "Preset Options", "Shows the server (database) character set encoding.", true},
		{"client_encoding", "UTF8", "Client Connection Defaults", "Sets the client's character set encoding.", true},
		{"datestyle", "ISO, MDY", "Client Connection Defaults", "Sets the display format for date and time values.", true},
		{"intervalstyle", "postgres", "Client Connection Defaults", "Sets the display format for interval values.", true},
		{"timezone", "UTC", "Client Connection Defaults", "Sets the time zone for displaying and interpreting time stamps.", true},
		{"integer_datetimes", "on", "Preset Options", "Shows whether datetimes are integer based.", true},
		{"standard_conforming_strings", "on", "Version and Platform Compatibility", "Causes '...' strings to treat backslashes literally.", true},
		{"application_name", app, "Reporting and Logging", "Sets the application name to be reported in statistics and logs.", true},
		{"is_superuser", "off", "Preset Options", "Shows whether the current user is a superuser.", true},
		{"session_authorization", user, "Preset Options", "Sets the session user name.", true},
		{"default_transaction_read_only", "on", "Client Connection Defaults", "Sets the default read-only status of new transactions.", true},
		{"transaction_read_only", "on", "Client Connection Defaults", "Sets the current transaction's read-only status.", false},
		{"in_hot_standby", "off", "Preset Options", "Shows whether hot standby is currently active.", true},
		{"search_path", `"$user", public`, "Client Connection Defaults", "Sets the schema search order for names that are not schema-qualified.", false},
		{"transaction_isolation", "read committed", "Client Connection Defaults", "Sets the current transaction's isolation level.", false},
		{"default_transaction_isolation", "read committed", "Client Connection Defaults", "Sets the transaction isolation level of each new transaction.", false},
		{"statement_timeout", "0", "Client Connection Defaults", "Sets the maximum allowed duration of any statement.", false},
		{"extra_float_digits", "1", "Client Connection Defaults", "Sets the number of digits displayed for floating-point values.", false},
		{"max_identifier_length", "63", "Preset Options", "Shows the maximum identifier length.", false},
		{"lc_collate", "C.UTF-8", "Preset Options", "Shows the collation order locale.", false},
		{"lc_ctype", "C.UTF-8", "Preset Options", "Shows the character classification and case conversion locale.", false},
		{"lc_messages", "C.UTF-8", "Client Connection Defaults", "Sets the language in which messages are displayed.", false},
		{"bytea_output", "hex", "Client Connection Defaults", "Sets the output format for bytea.", false},
		{"max_index_keys", "32", "Preset Options", "Shows the maximum number of index keys.", false},
		{"block_size", "8192", "Preset Options", "Shows the size of a disk block.", false},
		{"database", db, "Preset Options", "The database of the session.", false},
	}
}

// versionNum turns "16.0 (auditlake)" into "160000".
func versionNum(v string) string {
	major, minor, _ := strings.Cut(strings.Fields(v)[0], ".")
	for len(minor) < 4 {
		minor = "0" + minor
	}
	return major + minor
}

// session holds one connection's settings.
type session struct {
	settings []setting
	inTx     bool
}

func newSession(version, user, db, app string) *session {
	return &session{settings: defaultSettings(version, user, db, app)}
}

func (s *session) startupStatus() [][2]string {
	var out [][2]string
	for _, st := range s.settings {
		if st.report {
			out = append(out, [2]string{displayName(st.name), st.value})
		}
	}
	return out
}

// displayName is how PostgreSQL spells a reported parameter.
func displayName(name string) string {
	switch name {
	case "datestyle":
		return "DateStyle"
	case "intervalstyle":
		return "IntervalStyle"
	case "timezone":
		return "TimeZone"
	}
	return name
}

// get returns a setting's value; ok is false for unknown names.
func (s *session) get(name string) (string, bool) {
	name = strings.ToLower(name)
	i := slices.IndexFunc(s.settings, func(st setting) bool { return st.name == name })
	if i < 0 {
		return "", false
	}
	return s.settings[i].value, true
}

// set changes a setting, adding unknown ones (as PostgreSQL accepts
// custom "x.y" names); it reports whether the client should be told.
func (s *session) set(name, value string) (report bool) {
	name = strings.ToLower(name)
	i := slices.IndexFunc(s.settings, func(st setting) bool { return st.name == name })
	if i < 0 {
		s.settings = append(s.settings, setting{name: name, value: value, category: "Customized Options"})
		return false
	}
	if s.settings[i].category == "Preset Options" {
		return false
	}
	s.settings[i].value = value
	return s.settings[i].report
}

// parseSet reads SET [SESSION|LOCAL] name {TO|=} value[, ...] and SET TIME
// ZONE value. ok is false for forms it does not know (SET TRANSACTION, SET
// ROLE), which are accepted and ignored.
func parseSet(sql string) (name, value string, ok bool) {
	ws := words(sql)
	if len(ws) < 2 {
		return "", "", false
	}
	ws = ws[1:]
	if w := strings.ToLower(ws[0].text); w == "session" || w == "local" {
		ws = ws[1:]
	}
	if len(ws) >= 3 && strings.EqualFold(ws[0].text, "time") && strings.EqualFold(ws[1].text, "zone") {
		return "timezone", settingValue(ws[2:]), true
	}
	if len(ws) < 3 {
		return "", "", false
	}
	name = strings.ToLower(unquoteIdent(ws[0].text))
	ws = ws[1:]
	for len(ws) >= 2 && ws[0].text == "." { // custom names such as app.x
		name += "." + strings.ToLower(unquoteIdent(ws[1].text))
		ws = ws[2:]
	}
	if len(ws) < 2 || (ws[0].text != "=" && !strings.EqualFold(ws[0].text, "to")) {
		return "", "", false
	}
	return name, settingValue(ws[1:]), true
}

// settingValue joins the tokens of a SET value, unquoting strings.
func settingValue(ws []token) string {
	var parts []string
	for _, t := range ws {
		switch {
		case t.text == ",":
			continue
		case t.kind == tokString:
			parts = append(parts, unquoteString(t.text))
		case t.kind == tokIdent:
			parts = append(parts, unquoteIdent(t.text))
		default:
			parts = append(parts, t.text)
		}
	}
	v := strings.Join(parts, ", ")
	if strings.EqualFold(v, "default") || strings.EqualFold(v, "local") {
		return ""
	}
	return v
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}

func unquoteString(s string) string {
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
	}
	if len(s) >= 2 && s[0] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}
