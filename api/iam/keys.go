package iam

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/auditlake/auditlake/internal/fsutil"
	"github.com/auditlake/auditlake/lake"
)

// Sentinel errors of the key store.
var (
	ErrKeyNotFound = errors.New("access key not found")
	ErrKeyExists   = errors.New("access key already exists")
	ErrInvalidKey  = errors.New("invalid access key")
)

const (
	namespace = "keys"
	// DefaultKeyFile is the sealing key's file name in the lake folder.
	DefaultKeyFile = "secrets.key"
	// RootUserName names the bootstrap administrator.
	RootUserName = "root"
)

var (
	akidRE   = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	userRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	b32      = base32.StdEncoding.WithPadding(base32.NoPadding)
	errNoKey = fmt.Errorf("%w", ErrKeyNotFound)
)

// Identity is who signs with a key.
type Identity struct {
	AccessKeyID string    `json:"AccessKeyId"`
	UserName    string    `json:"UserName"`
	ARN         string    `json:"Arn"`
	AccountID   string    `json:"AccountId"`
	Root        bool      `json:"Root,omitempty"`
	Policy      Policy    `json:"Policy"`
	Created     time.Time `json:"CreateDate"`
}

// record is the stored form of a key: the identity and the sealed secret.
type record struct {
	Identity
	Sealed []byte `json:"SealedSecret"`
}

// Keys is the key store of one lake.
type Keys struct {
	l    *lake.Lake
	aead cipher.AEAD
	now  func() time.Time
}

// Options configures Open.
type Options struct {
	KeyFile string           // the sealing key; "": <lake dir>/secrets.key
	Now     func() time.Time // nil: time.Now
}

// Open opens the key store of l, creating the sealing key file (mode 0600)
// on first use.
func Open(l *lake.Lake, opts Options) (*Keys, error) {
	if opts.KeyFile == "" {
		opts.KeyFile = filepath.Join(l.Dir(), DefaultKeyFile)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := loadSealingKey(opts.KeyFile)
	if err != nil {
		return nil, err
	}
	// The database holds sealed secrets and policies: keep it private too.
	_ = os.Chmod(filepath.Join(l.Dir(), "auditlake.db"), 0o600)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{l: l, aead: aead, now: opts.Now}, nil
}

func loadSealingKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		enc := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
		if err := fsutil.WriteFileDurable(path, enc, 0o600); err != nil {
			return nil, fmt.Errorf("write sealing key %s: %w", path, err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sealing key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(string(trimSpace(data)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: sealing key %s is not 32 bytes of base64", lake.ErrCorrupt, path)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(path, 0o600)
	}
	return key, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// NewAccessKeyID makes an access key ID in AWS's shape: AKIA and 16
// characters of A-Z and 2-7.
func NewAccessKeyID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "AKIA" + b32.EncodeToString(b)
}

// NewSecret makes a 40-character secret access key.
func NewSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Create stores a new key for userName with policy and returns it with its
// secret. An empty accessKeyID or secret is generated.
func (k *Keys) Create(ctx context.Context, userName string, policy Policy, accessKeyID, secret string) (Identity, string, error) {
	if accessKeyID == "" {
		accessKeyID = NewAccessKeyID()
	}
	if secret == "" {
		secret = NewSecret()
	}
	switch {
	case !akidRE.MatchString(accessKeyID):
		return Identity{}, "", fmt.Errorf("%w: access key ID %q: want 16-128 of A-Z 0-9", ErrInvalidKey, accessKeyID)
	case len(secret) < 16 || len(secret) > 128:
		return Identity{}, "", fmt.Errorf("%w: the secret access key must have 16-128 characters", ErrInvalidKey)
	case !userRE.MatchString(userName):
		return Identity{}, "", fmt.Errorf("%w: user name %q: want 1-64 of letters, digits and +=,.@_-", ErrInvalidKey, userName)
	}
	id := Identity{
		AccessKeyID: accessKeyID, UserName: userName, AccountID: k.l.AccountID(),
		ARN: fmt.Sprintf("arn:aws:iam::%s:user/%s", k.l.AccountID(), userName), Policy: policy, Created: k.now().UTC(),
	}
	if userName == RootUserName {
		id.Root, id.ARN = true, fmt.Sprintf("arn:aws:iam::%s:root", k.l.AccountID())
	}
	rec := record{Identity: id, Sealed: k.seal(accessKeyID, secret)}
	err := k.l.ControlUpdate(func(c lake.Control) error {
		var old record
		if err := c.Get(namespace, accessKeyID, &old); err == nil {
			return fmt.Errorf("%w: %s", ErrKeyExists, accessKeyID)
		} else if !errors.Is(err, lake.ErrNoRecord) {
			return err
		}
		return c.Put(namespace, accessKeyID, rec)
	})
	return id, secret, err
}

func (k *Keys) seal(akid, secret string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, []byte(secret), []byte(akid))
}

func (k *Keys) open(akid string, sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", fmt.Errorf("%w: sealed secret of %s", lake.ErrCorrupt, akid)
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(akid))
	if err != nil {
		return "", fmt.Errorf("%w: the secret of %s does not open with this sealing key", lake.ErrCorrupt, akid)
	}
	return string(plain), nil
}

func (k *Keys) get(accessKeyID string) (record, error) {
	var rec record
	err := k.l.ControlView(func(c lake.Control) error { return c.Get(namespace, accessKeyID, &rec) })
	if errors.Is(err, lake.ErrNoRecord) {
		return record{}, fmt.Errorf("%w: %s", errNoKey, accessKeyID)
	}
	return rec, err
}

// Secret returns the secret of a key; ErrKeyNotFound if there is none.
func (k *Keys) Secret(ctx context.Context, accessKeyID string) (string, error) {
	rec, err := k.get(accessKeyID)
	if err != nil {
		return "", err
	}
	return k.open(accessKeyID, rec.Sealed)
}

// Identity returns who signs with a key; ErrKeyNotFound if there is none.
func (k *Keys) Identity(ctx context.Context, accessKeyID string) (Identity, error) {
	rec, err := k.get(accessKeyID)
	return rec.Identity, err
}

// List returns every key, by access key ID, without secrets.
func (k *Keys) List(ctx context.Context) ([]Identity, error) {
	var out []Identity
	err := k.l.ControlView(func(c lake.Control) error {
		return c.Scan(namespace, "", func(_ string, data []byte) (bool, error) {
			var rec record
			if err := json.Unmarshal(data, &rec); err != nil {
				return false, fmt.Errorf("%w: key record: %v", lake.ErrCorrupt, err)
			}
			out = append(out, rec.Identity)
			return true, nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].AccessKeyID < out[j].AccessKeyID })
	return out, err
}

// Delete removes a key; ErrKeyNotFound if there is none.
func (k *Keys) Delete(ctx context.Context, accessKeyID string) error {
	return k.l.ControlUpdate(func(c lake.Control) error {
		var rec record
		if err := c.Get(namespace, accessKeyID, &rec); err != nil {
			if errors.Is(err, lake.ErrNoRecord) {
				return fmt.Errorf("%w: %s", ErrKeyNotFound, accessKeyID)
			}
			return err
		}
		return c.Delete(namespace, accessKeyID)
	})
}

// EnsureRoot makes sure the bootstrap administrator exists. With
// accessKeyID and secret given (from the environment) it stores that key
// if it is missing, or checks it if present. Without them it creates a key
// when the store has no root key yet. created reports a new key, whose
// secret the caller shows once.
func (k *Keys) EnsureRoot(ctx context.Context, accessKeyID, secret string) (id Identity, sec string, created bool, err error) {
	admin, err := ParsePolicy([]byte(AdminPolicy))
	if err != nil {
		return Identity{}, "", false, err
	}
	if accessKeyID != "" {
		if cur, err := k.Secret(ctx, accessKeyID); err == nil {
			if cur != secret {
				return Identity{}, "", false, fmt.Errorf("%w: access key %s exists with a different secret", ErrKeyExists, accessKeyID)
			}
			id, err := k.Identity(ctx, accessKeyID)
			return id, "", false, err
		} else if !errors.Is(err, ErrKeyNotFound) {
			return Identity{}, "", false, err
		}
		id, sec, err := k.Create(ctx, RootUserName, admin, accessKeyID, secret)
		return id, sec, err == nil, err
	}
	all, err := k.List(ctx)
	if err != nil {
		return Identity{}, "", false, err
	}
	for _, i := range all {
		if i.Root {
			return i, "", false, nil
		}
	}
	id, sec, err = k.Create(ctx, RootUserName, admin, "", "")
	return id, sec, err == nil, err
}
