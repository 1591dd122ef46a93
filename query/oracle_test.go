package query

import (
	"compress/gzip"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCorpusOracle checks the corpus store against counts computed in Go
// straight from the generated trail files, so the expected results of the
// dataset corpus do not rest on the engine alone.
func TestCorpusOracle(t *testing.T) {
	d := corpusLake(t)
	total, readOnly, errs := 0, 0, 0
	byName, byRegion := map[string]int{}, map[string]int{}
	err := filepath.WalkDir(d.trailDir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		var doc struct {
			Records []struct {
				EventCategory string `json:"eventCategory"`
				EventName     string `json:"eventName"`
				AWSRegion     string `json:"awsRegion"`
				ReadOnly      *bool  `json:"readOnly"`
				ErrorCode     string `json:"errorCode"`
			} `json:"Records"`
		}
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			return err
		}
		for _, r := range doc.Records {
			if r.EventCategory != "Management" {
				continue
			}
			total++
			byName[r.EventName]++
			byRegion[r.AWSRegion]++
			if r.ReadOnly != nil && *r.ReadOnly {
				readOnly++
			}
			if r.ErrorCode != "" {
				errs++
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, total)
	e := newTestEngine(t, d.lake, Options{Threads: 1})
	one := func(q string) string {
		rows := queryStrings(t, e, strings.ReplaceAll(q, "$EDS", d.store))
		require.Len(t, rows, 1, q)
		return rows[0][0]
	}
	itoa := strconv.Itoa
	require.Equal(t, itoa(total), one("SELECT count(*) FROM $EDS"))
	require.Equal(t, itoa(readOnly), one("SELECT count_if(readOnly) FROM $EDS"))
	require.Equal(t, itoa(errs), one("SELECT count(*) FROM $EDS WHERE errorCode IS NOT NULL"))
	require.Equal(t, itoa(len(byName)), one("SELECT count(*) FROM (SELECT eventName FROM $EDS GROUP BY 1)"))
	require.Equal(t, itoa(byName["GetBucketLocation"]), one("SELECT count(*) FROM $EDS WHERE eventName = 'GetBucketLocation'"))
	require.Equal(t, itoa(byRegion["us-east-1"]), one("SELECT element_at(histogram(awsRegion), 'us-east-1') FROM $EDS"))
	// The corpus file's figures agree with the oracle.
	require.Equal(t, 1850, total)
	require.Equal(t, 156, byName["GetBucketLocation"])
	require.Equal(t, 911, byRegion["us-east-1"])
	require.Equal(t, 169, errs)
	require.Equal(t, 1649, readOnly)
}
