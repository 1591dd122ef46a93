package jobs

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/lake"
)

// Page tokens are base64url(JSON payload) "." base64url(HMAC-SHA256 of the
// payload, first 16 bytes), keyed by a secret kept in the control plane.
// A token that was altered, made by another lake or for another request
// fails with ErrInvalidNextToken.

const tokenSecretKey = "token-secret"

// resultsToken is a position in a query's results.
type resultsToken struct {
	Query  string `json:"q"`
	Part   int    `json:"p"` // index into the record's parts
	Offset int64  `json:"o"` // byte offset in that part, after the header
	Row    int64  `json:"r"` // rows before this position, over all parts
}

// listToken is a position in a ListQueries listing.
type listToken struct {
	Filter string `json:"f"` // the request's filter, which must not change
	After  string `json:"k"` // the last index key returned
}

// tokenSecret returns the lake's token key, creating it on first use.
func (m *Manager) tokenSecret() ([]byte, error) {
	var secret []byte
	err := m.l.ControlUpdate(func(c lake.Control) error {
		err := c.Get(nsKeys, tokenSecretKey, &secret)
		if err == nil && len(secret) >= 32 {
			return nil
		}
		if err != nil && !errors.Is(err, lake.ErrNoRecord) {
			return err
		}
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		return c.Put(nsKeys, tokenSecretKey, secret)
	})
	return secret, err
}

func (m *Manager) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, m.secret)
	h.Write(payload)
	return h.Sum(nil)[:16]
}

func (m *Manager) encodeToken(v any) string {
	payload, _ := json.Marshal(v) // token types always marshal
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(m.mac(payload))
}

func (m *Manager) decodeToken(tok string, v any) error {
	bad := fmt.Errorf("%w: the token was not returned by this operation for this request", ErrInvalidNextToken)
	p, s, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 1000 {
		return bad
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	sig, err2 := enc.DecodeString(s)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, m.mac(payload)) {
		return bad
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return bad
	}
	return nil
}
