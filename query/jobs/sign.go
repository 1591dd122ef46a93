package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"time"
)

// SignFiles returns a sign file for result files that auditlake writes
// itself rather than delivers (a scheduled report's CSV). files maps each
// file name (no folder) to its bytes as stored; the sign file lists them by
// name. It is signed as result_sign.json is, with the lake's result signing
// key, so VerifySignFile and the key ListPublicKeys returns check it.
func (m *Manager) SignFiles(completed time.Time, files map[string][]byte) (SignFile, error) {
	sign := SignFile{
		Version: "1.0", Region: m.l.Region(), HashAlgorithm: "SHA-256", SignatureAlgorithm: "SHA256withRSA",
		QueryCompleteTime: completed.UTC().Format(time.RFC3339),
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		sum := sha256.Sum256(files[name])
		sign.Files = append(sign.Files, SignedFile{FileHashValue: hex.EncodeToString(sum[:]), FileName: name})
	}
	key, err := m.signingKey()
	if err != nil {
		return SignFile{}, err
	}
	if err := signResults(&sign, key); err != nil {
		return SignFile{}, err
	}
	return sign, nil
}
