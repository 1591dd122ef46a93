package query

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonTestDocs are JSON texts, and texts that are not JSON, for comparing
// translations of the JSON functions.
var jsonTestDocs = []string{
	`{"a":"x","b":{"c":1.50,"d":[1,2,{"e":null}]},"f":true,"g":null,"h":"","i":"\u00e9\"\\/\n","j":12345678901234567890123,` +
		`"k":-0.0,"l":1e400,"m":[],"n":{},"o":"a\u0000b","p":1E2,"q":0.1,"x-amz-id-2":"A","a b":"B","é":"C","0":"D"}`,
	`not json`, ``, `[1,"a"]`, `"str"`, `123`, `{"a":1,}`, `{"a":NaN}`, `{"a":1}{"b":2}`, ` {"a":"y"} `,
	`{"a":"x","a":"y"}`, `{"a":Infinity}`, `{"a":"\ud800"}`, `{"b":{"c":"x\"y"}}`,
}

// jsonTestPaths are paths with a single value, for the same.
var jsonTestPaths = []string{
	"$", "$.a", "$.b", "$.b.c", "$.b.d", "$.b.d[2]", "$.b.d[2].e", "$.b.d[#-1]", "$.b.d[5]", "$.f", "$.g", "$.h", "$.i", "$.j",
	"$.k", "$.l", "$.m", "$.n", "$.o", "$.p", "$.q", "$.zz", "$[0]", "$[1]", "$.b.c.d", "$.x-amz-id-2", "$.a b", `$."a b"`, "$.é", "$.0",
}

// TestJSONPathOneParse checks that the translations that read the
// document once give what the general ones give, for every document and
// single-value path, NULLs and text that is not JSON included.
func TestJSONPathOneParse(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	for _, f := range []jsonPathFn{jsonExtractScalar, jsonExtract} {
		for _, d := range append(jsonTestDocs, "\x00null") {
			for _, p := range jsonTestPaths {
				require.True(t, singlePath(p), p)
				var general, oneParse sql.NullString
				doc := sql.NullString{String: d, Valid: d != "\x00null"}
				require.NoError(t, db.QueryRow("SELECT ("+f.general+")::VARCHAR, ("+f.oneParse()+")::VARCHAR", doc, p).Scan(&general, &oneParse))
				require.Equal(t, general, oneParse, "%s on %q at %s", f.oneParse(), d, p)
			}
		}
	}
}

func TestSinglePath(t *testing.T) {
	for p, want := range map[string]bool{
		"$.a.b[1]": true, "$": true, `$."a.b"`: true,
		"$.*": false, "$[*]": false, "$..a": false, "$.a..b": false, "/a/b": false, "a": false, "": false,
	} {
		require.Equal(t, want, singlePath(p), p)
	}
}
