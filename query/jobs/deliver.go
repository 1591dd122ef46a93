package jobs

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/auditlake/auditlake/lake"
)

const signingKeyKey = "signing-key"

// SignFile is result_sign.json, the sign file CloudTrail Lake writes next
// to delivered results: hashes of the compressed result files and an RSA
// signature over them (see docs/queries.md).
type SignFile struct {
	Version              string       `json:"version"`
	Region               string       `json:"region"`
	Files                []SignedFile `json:"files"`
	HashAlgorithm        string       `json:"hashAlgorithm"`
	SignatureAlgorithm   string       `json:"signatureAlgorithm"`
	QueryCompleteTime    string       `json:"queryCompleteTime"`
	HashSignature        string       `json:"hashSignature"`
	PublicKeyFingerprint string       `json:"publicKeyFingerprint"`
}

// SignedFile is one result file in a SignFile.
type SignedFile struct {
	FileHashValue string `json:"fileHashValue"` // hex SHA-256 of the .csv.gz file
	FileName      string `json:"fileName"`
}

// signingKey is the stored RSA key that signs sign files.
type signingKey struct {
	DER     []byte    `json:"der"` // PKCS#1 private key
	Created time.Time `json:"created"`
}

// splitDeliveryURI splits s3://bucket/prefix into bucket and prefix
// without surrounding slashes.
func splitDeliveryURI(uri string) (bucket, prefix string) {
	rest := strings.TrimPrefix(uri, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.Trim(prefix, "/")
}

// checkDelivery makes sure the delivery bucket exists and answers.
func (m *Manager) checkDelivery(ctx context.Context, uri string) error {
	name, _ := splitDeliveryURI(uri)
	b, err := m.opts.OpenBucket(ctx, name)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDeliveryBucketNotFound, name, err)
	}
	defer b.Close()
	ok, err := b.IsAccessible(ctx)
	if err != nil || !ok {
		return fmt.Errorf("%w: %s is not accessible: %v", ErrDeliveryBucketNotFound, name, err)
	}
	return nil
}

// deliveryFolder is where a query's results go in the delivery bucket, as
// CloudTrail Lake lays them out.
func (m *Manager) deliveryFolder(prefix string, r *record) string {
	f := fmt.Sprintf("AWSLogs/%s/CloudTrail-Lake/Query/%s/%s/", m.l.AccountID(), r.Created.UTC().Format("2006/01/02"), r.ID)
	if prefix != "" {
		f = prefix + "/" + f
	}
	return f
}

// deliver copies a finished query's result files, gzip-compressed, to its
// delivery URI with a signed result_sign.json, and records how it went.
func (m *Manager) deliver(ctx context.Context, r *record) {
	name, prefix := splitDeliveryURI(r.DeliveryURI)
	folder := m.deliveryFolder(prefix, r)
	status, err := m.upload(ctx, name, folder, r)
	if err != nil {
		m.log.Warn("delivering query results", logKeyID, r.ID, "status", status, "err", err)
	}
	if _, err := m.update(r.ID, func(r *record) error {
		r.Delivery = status
		if status == DeliverySuccess || status == DeliveryFailedSigningFile || status == DeliveryAccessDeniedSigningFile {
			r.DeliveryLocation = "s3://" + name + "/" + folder
		}
		return nil
	}); err != nil {
		m.log.Error("recording delivery status", logKeyID, r.ID, "err", err)
	}
}

func (m *Manager) upload(ctx context.Context, name, folder string, r *record) (DeliveryStatus, error) {
	b, err := m.opts.OpenBucket(ctx, name)
	if err != nil {
		return DeliveryResourceNotFound, err
	}
	defer b.Close()
	sign := SignFile{
		Version: "1.0", Region: m.l.Region(), HashAlgorithm: "SHA-256", SignatureAlgorithm: "SHA256withRSA",
		QueryCompleteTime: r.Ended.UTC().Format(time.RFC3339),
	}
	for n := 1; n <= len(r.Parts); n++ {
		data, err := m.l.Bucket().ReadAll(ctx, partKey(r.ID, n))
		if err != nil {
			return DeliveryFailed, err
		}
		gz, err := gzipBytes(data)
		if err != nil {
			return DeliveryFailed, err
		}
		file := fmt.Sprintf("result_%d.csv.gz", n)
		if err := b.WriteAll(ctx, folder+file, gz, &blob.WriterOptions{ContentType: "application/gzip"}); err != nil {
			return writeStatus(err, DeliveryAccessDenied, DeliveryFailed), err
		}
		sum := sha256.Sum256(gz)
		sign.Files = append(sign.Files, SignedFile{FileHashValue: hex.EncodeToString(sum[:]), FileName: file})
	}
	key, err := m.signingKey()
	if err != nil {
		return DeliveryFailedSigningFile, err
	}
	if err := signResults(&sign, key); err != nil {
		return DeliveryFailedSigningFile, err
	}
	data, err := json.MarshalIndent(sign, "", "  ")
	if err != nil {
		return DeliveryFailedSigningFile, err
	}
	if err := b.WriteAll(ctx, folder+"result_sign.json", data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return writeStatus(err, DeliveryAccessDeniedSigningFile, DeliveryFailedSigningFile), err
	}
	return DeliverySuccess, nil
}

func writeStatus(err error, denied, other DeliveryStatus) DeliveryStatus {
	switch gcerrors.Code(err) {
	case gcerrors.PermissionDenied:
		return denied
	case gcerrors.NotFound:
		return DeliveryResourceNotFound
	}
	return other
}

func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// signResults fills the signature fields of s: SHA256withRSA over the file
// hashes joined by single spaces, hex-encoded.
func signResults(s *SignFile, key *rsa.PrivateKey) error {
	hashes := make([]string, len(s.Files))
	for i, f := range s.Files {
		hashes[i] = f.FileHashValue
	}
	digest := sha256.Sum256([]byte(strings.Join(hashes, " ")))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		return fmt.Errorf("sign results: %w", err)
	}
	s.HashSignature = hex.EncodeToString(sig)
	s.PublicKeyFingerprint = Fingerprint(&key.PublicKey)
	return nil
}

// VerifySignFile checks a sign file against the result files it lists
// (files maps each file name to its bytes) and the public key, as
// `aws cloudtrail verify-query-results` does.
func VerifySignFile(s SignFile, files map[string][]byte, pub *rsa.PublicKey) error {
	if len(s.Files) == 0 {
		return errors.New("verify results: the sign file lists no files")
	}
	hashes := make([]string, len(s.Files))
	for i, f := range s.Files {
		data, ok := files[path.Base(f.FileName)]
		if !ok {
			return fmt.Errorf("verify results: %s is missing", f.FileName)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != f.FileHashValue {
			return fmt.Errorf("verify results: %s does not match its hash", f.FileName)
		}
		hashes[i] = f.FileHashValue
	}
	if s.PublicKeyFingerprint != Fingerprint(pub) {
		return fmt.Errorf("verify results: signed by key %s, not %s", s.PublicKeyFingerprint, Fingerprint(pub))
	}
	sig, err := hex.DecodeString(s.HashSignature)
	if err != nil {
		return fmt.Errorf("verify results: signature: %w", err)
	}
	digest := sha256.Sum256([]byte(strings.Join(hashes, " ")))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("verify results: %w", err)
	}
	return nil
}

// Fingerprint is a public key's fingerprint: hex MD5 of its PKCS#1 DER
// encoding, 32 characters as CloudTrail's.
func Fingerprint(pub *rsa.PublicKey) string {
	sum := md5.Sum(x509.MarshalPKCS1PublicKey(pub))
	return hex.EncodeToString(sum[:])
}

// signingKey returns the lake's result signing key, creating it on first
// use.
func (m *Manager) signingKey() (*rsa.PrivateKey, error) {
	m.keyMu.Lock()
	defer m.keyMu.Unlock()
	var sk signingKey
	err := m.l.ControlView(func(c lake.Control) error { return c.Get(nsKeys, signingKeyKey, &sk) })
	if errors.Is(err, lake.ErrNoRecord) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		sk = signingKey{DER: x509.MarshalPKCS1PrivateKey(key), Created: m.now()}
		if err := m.l.ControlUpdate(func(c lake.Control) error { return c.Put(nsKeys, signingKeyKey, sk) }); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key, err := x509.ParsePKCS1PrivateKey(sk.DER)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: %v", lake.ErrCorrupt, err)
	}
	return key, nil
}

// PublicKeys returns the keys that sign result sign files, for
// ListPublicKeys. The first call creates the lake's key.
func (m *Manager) PublicKeys(ctx context.Context) ([]PublicKey, error) {
	key, err := m.signingKey()
	if err != nil {
		return nil, err
	}
	var sk signingKey
	if err := m.l.ControlView(func(c lake.Control) error { return c.Get(nsKeys, signingKeyKey, &sk) }); err != nil {
		return nil, err
	}
	return []PublicKey{{
		Value:             x509.MarshalPKCS1PublicKey(&key.PublicKey),
		ValidityStartTime: sk.Created,
		Fingerprint:       Fingerprint(&key.PublicKey),
	}}, nil
}
