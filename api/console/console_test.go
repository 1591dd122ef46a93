package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// paths flattens a schema into dotted column paths with their types.
func paths(prefix string, fields []Field, out map[string]string) map[string]string {
	for _, f := range fields {
		out[prefix+f.Name] = f.Type
		paths(prefix+f.Name+".", f.Fields, out)
	}
	return out
}

func TestSchema(t *testing.T) {
	got := paths("", Schema(), map[string]string{})
	for path, typ := range map[string]string{
		"eventTime":         "timestamp",
		"eventName":         "varchar",
		"readOnly":          "boolean",
		"requestParameters": "map(varchar, varchar)",
		"userIdentity":      "row",
		"userIdentity.arn":  "varchar",
		"userIdentity.sessionContext.sessionIssuer.arn":       "varchar",
		"userIdentity.sessionContext.attributes.creationDate": "timestamp",
		"resources":              "array(row)",
		"resources.arn":          "varchar",
		"tlsDetails.cipherSuite": "varchar",
		"eventJson":              "varchar",
		"eventJsonChecksum":      "varchar",
	} {
		require.Equal(t, typ, got[path], path)
	}
	for path := range got {
		require.False(t, strings.HasPrefix(path, "eventJsonCut"), "internal column %s is not shown", path)
	}
}

func TestHandler(t *testing.T) {
	h := Handler(Config{Region: "eu-west-1", AccountID: "123456789012"})
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	w := get("/")
	require.Equal(t, http.StatusFound, w.Code)
	require.Equal(t, Prefix, w.Header().Get("Location"))

	var cfg Config
	require.NoError(t, json.Unmarshal(get(Prefix+"config.json").Body.Bytes(), &cfg))
	require.Equal(t, Config{Region: "eu-west-1", AccountID: "123456789012"}, cfg)

	var schema []Field
	require.NoError(t, json.Unmarshal(get(Prefix+"schema.json").Body.Bytes(), &schema))
	require.Equal(t, Schema(), schema)

	for _, file := range []string{"", "app.js", "editor.js", "sql.js", "chart.js", "history.js", "functions.js", "style.css"} {
		w := get(Prefix + file)
		require.Equal(t, http.StatusOK, w.Code, file)
		require.Contains(t, w.Header().Get("Content-Security-Policy"), "default-src 'self'", file)
	}
}
