package query

import (
	"compress/gzip"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// trailRecords reads every management event of the corpus trail files.
func trailRecords(t *testing.T, dir string) []map[string]any {
	t.Helper()
	var out []map[string]any
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
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
			Records []map[string]any `json:"Records"`
		}
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			return err
		}
		for _, r := range doc.Records {
			if r["eventCategory"] == "Management" {
				out = append(out, r)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// TestPublicOracle checks the figures of testdata/dialect/public.txt that
// are not empty against values computed in Go from the trail files: the
// real CloudTrail Lake queries give the answers the data holds.
func TestPublicOracle(t *testing.T) {
	d := corpusLake(t)
	recs := trailRecords(t, d.trailDir)
	str := func(r map[string]any, path ...string) string {
		var v any = r
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		s, _ := v.(string)
		return s
	}
	at := func(r map[string]any) time.Time {
		v, err := time.Parse(time.RFC3339, str(r, "eventTime"))
		require.NoError(t, err)
		return v
	}
	lo, hi := ts("2024-01-25 13:51:00.000"), ts("2024-01-31 13:51:00.000")
	inRange, noMFA, bedrock := 0, 0, 0
	var logins []string
	for _, r := range recs {
		if v := at(r); !v.Before(lo) && !v.After(hi) {
			inRange++
		}
		if str(r, "eventSource") == "signin.amazonaws.com" && str(r, "eventName") == "ConsoleLogin" && str(r, "additionalEventData", "MFAUsed") == "No" {
			noMFA++
		}
		if str(r, "eventSource") == "bedrock.amazonaws.com" && !at(r).Before(ts("2024-01-25 00:00:00.000")) && !at(r).After(ts("2024-02-01 00:00:00.000")) {
			bedrock++
		}
		if region := str(r, "awsRegion"); str(r, "eventName") == "ConsoleLogin" && (region == "us-east-1" || region == "us-west-2") {
			logins = append(logins, at(r).Format(timestampLayout)+","+str(r, "userIdentity", "arn")+","+region)
		}
	}
	sort.Strings(logins)

	cases, _ := readCorpus(t, "testdata/dialect/public.txt")
	expected := func(fragment string) string {
		for _, c := range cases {
			if strings.Contains(c.sql, fragment) {
				return c.expected
			}
		}
		t.Fatalf("no public.txt case contains %q", fragment)
		return ""
	}
	// The figures in the corpus file, and what the trail files say.
	require.Equal(t, "_col0\n"+strconv.Itoa(inRange), expected("eventtime < ='2024-01-31 13:51:00'"))
	require.Equal(t, "_col0\n"+strconv.Itoa(noMFA), expected("Element_at(additionaleventdata, 'MFAUsed'"))
	require.Equal(t, "_col0\n"+strconv.Itoa(3*len(recs)-len(recs)), expected("UNION ALL Select eventId"))
	require.Equal(t, "eventTime,arn,awsRegion\n"+strings.Join(logins, "\n"), expected("awsRegion in ('us-east-1', 'us-west-2')"))
	bedrockRows := strings.Count(expected("AND eventName IN ('InvokeModel', 'InvokeModelWithResponseStream')"), "\n")
	require.LessOrEqual(t, bedrockRows, bedrock)
	require.Equal(t, bedrock, strings.Count(expected("eventSource = 'bedrock.amazonaws.com'\n    AND eventTime >="), "\n"))
	require.Positive(t, inRange)
	require.Len(t, logins, 7)
}
