package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
)

//go:embed web
var assets embed.FS

// Prefix is the path the console is served under.
const Prefix = "/console/"

// Config is what the page needs to know before sign-in; it is served as
// /console/config.json and holds nothing secret.
type Config struct {
	Region    string `json:"region"`
	AccountID string `json:"accountId"`
}

// Handler serves the console's files under Prefix, config.json,
// schema.json (the event schema, Schema) and a redirect from GET / to the
// console.
func Handler(cfg Config) http.Handler {
	web, err := fs.Sub(assets, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(Prefix, http.FileServerFS(web))
	conf, _ := json.Marshal(cfg)
	schema, _ := json.Marshal(Schema())
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"config.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(conf)
	})
	mux.HandleFunc("GET "+Prefix+"schema.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(schema)
	})
	mux.Handle("GET "+Prefix, secure(files))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusFound)
	})
	return mux
}

// secure sets headers that keep the page from being framed or loading
// anything from elsewhere.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}
