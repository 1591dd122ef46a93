package query

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// eventJsonChecksum is not stored in segments; the engine derives it as the
// lowercase hex SHA-256 of eventJson, as docs/format/events.md says.
func TestEventJSONChecksumIsDerived(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	rows := queryStrings(t, e, "SELECT eventJson, eventJsonChecksum FROM "+prodID+" ORDER BY eventTime")
	require.Len(t, rows, 6)
	for _, r := range rows {
		sum := sha256.Sum256([]byte(r[0]))
		require.Equal(t, hex.EncodeToString(sum[:]), r[1])
	}
}
