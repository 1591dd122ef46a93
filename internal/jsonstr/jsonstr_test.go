package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppend checks Append against encoding/json byte for byte, with and
// without HTML escaping.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\x00\x08\x0c\x1f\x7f", "\xff\xfe bad utf-8", "\u2028\u2029", "日本語 <&>", "a\tb\nc\rd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{true, false} {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(html)
			if err := enc.Encode(s); err != nil {
				t.Fatal(err)
			}
			got := Append([]byte("x"), s, html)[1:]
			if string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
				t.Fatalf("html=%v %q: got %s, encoding/json writes %s", html, s, got, want.Bytes())
			}
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	s := `arn:aws:sts::123456789012:assumed-role/app/session "quoted" 日本語`
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], s, false)
	}
}
