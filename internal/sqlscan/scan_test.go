package sqlscan

import "testing"

func TestSkips(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  int
		want int
	}{
		{"doubled quote", SkipQuoted(`'it''s' x`, 0, '\'', false), 7},
		{"backslash escape", SkipQuoted(`E'a\'b' x`, 1, '\'', true), 7},
		{"backslash is text without E", SkipQuoted(`'a\' x`, 0, '\'', false), 4},
		{"unterminated string", SkipQuoted(`'abc`, 0, '\'', false), 4},
		{"nested comment", SkipBlockComment(`/* a /* b */ c */ x`, 0), 17},
		{"unterminated comment", SkipBlockComment(`/* a`, 0), 4},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	for _, tt := range []struct {
		src  string
		end  int
		isDQ bool
	}{
		{`$$a$b$$ x`, 7, true},
		{`$q$it's$q$ x`, 10, true},
		{`$1 + $2`, 0, false},   // parameters, not a string
		{`$1$ x $1$`, 0, false}, // a tag does not start with a digit
		{`$q$ open`, 8, true},
	} {
		end, ok := SkipDollarQuoted(tt.src, 0)
		if ok != tt.isDQ || ok && end != tt.end {
			t.Errorf("SkipDollarQuoted(%q) = %d, %v; want %d, %v", tt.src, end, ok, tt.end, tt.isDQ)
		}
	}
}
