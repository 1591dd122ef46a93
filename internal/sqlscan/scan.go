package sqlscan

import "strings"

// IsWordByte reports whether c may be part of an unquoted word. Bytes of
// multi-byte UTF-8 characters count as word bytes, as in DuckDB and
// PostgreSQL.
func IsWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// SkipBlockComment returns the offset after the block comment that starts
// at src[i:] == "/*"; comments nest, as in DuckDB and PostgreSQL. An
// unterminated comment runs to the end.
func SkipBlockComment(src string, i int) int {
	depth := 0
	for i < len(src) {
		switch {
		case strings.HasPrefix(src[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(src[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(src)
}

// SkipQuoted returns the offset after the quoted text that starts at
// src[i] == q. A doubled quote is an escaped quote; with backslash (E'...'
// strings), so is \q. An unterminated string runs to the end.
func SkipQuoted(src string, i int, q byte, backslash bool) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if backslash {
				j++
			}
		case q:
			if j+1 < len(src) && src[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(src)
}

// SkipDollarQuoted skips a $tag$...$tag$ string starting at src[i] == '$'
// and reports whether there is one there. A tag does not start with a
// digit, so $1 is a parameter, not a string.
func SkipDollarQuoted(src string, i int) (int, bool) {
	j := i + 1
	for j < len(src) && src[j] != '$' {
		if !IsWordByte(src[j]) || src[j] >= '0' && src[j] <= '9' && j == i+1 {
			return 0, false
		}
		j++
	}
	if j >= len(src) {
		return 0, false
	}
	tag := src[i : j+1]
	if k := strings.Index(src[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag), true
	}
	return len(src), true
}
