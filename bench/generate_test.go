package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testEnd = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// readTree returns every file under dir by relative path.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	require.NoError(t, err)
	return out
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	return raw
}

func TestGenerateDeterministic(t *testing.T) {
	opts := GenerateOptions{Events: 3000, Days: 1, End: testEnd, Seed: 7, Workers: 1}
	gen := func(o GenerateOptions) map[string][]byte {
		dir := t.TempDir()
		st, err := Generate(context.Background(), dir, o)
		require.NoError(t, err)
		require.Equal(t, o.Events, st.Events)
		return readTree(t, dir)
	}
	a := gen(opts)
	opts.Workers = 4
	b := gen(opts)
	require.Equal(t, a, b, "same seed, different worker count")
	opts.Seed = 8
	c := gen(opts)
	require.NotEqual(t, a, c)
}

func TestGenerateInvalidOptions(t *testing.T) {
	for name, o := range map[string]GenerateOptions{
		"no events": {Days: 1},
		"no days":   {Events: 1},
		"negative":  {Events: 1, Days: 1, Accounts: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Generate(context.Background(), t.TempDir(), o)
			require.ErrorIs(t, err, ErrInvalidOptions)
		})
	}
}

func TestGenerateEventsPerFile(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(context.Background(), dir, GenerateOptions{Events: 2000, Days: 1, End: testEnd, Accounts: 1, Regions: []string{"us-east-1"}, EventsPerFile: 5})
	require.NoError(t, err)
	require.Equal(t, 2000, st.Events)
	for p, b := range readTree(t, dir) {
		var f struct{ Records []json.RawMessage }
		require.NoError(t, json.Unmarshal(gunzip(t, b), &f), p)
		require.LessOrEqual(t, len(f.Records), 5, p)
	}
}

var pathRE = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z]{2}-[a-z]+-\d)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z]{2}-[a-z]+-\d)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)

type testRecord struct {
	EventVersion string
	UserIdentity struct {
		Type, PrincipalID, ARN, AccountID, InvokedBy, CredentialID string
	}
	EventTime, EventSource, EventName, AWSRegion string
	EventType, EventCategory, EventID            string
	RecipientAccountID                           string
	ErrorCode                                    string
	ManagementEvent                              *bool
	ResponseElements                             map[string]any
	AdditionalEventData                          map[string]any
	RequestParameters                            json.RawMessage
	Resources                                    []map[string]string
	ServiceEventDetails                          map[string]any
}

func TestGenerateContent(t *testing.T) {
	const events = 12000
	dir := t.TempDir()
	opts := GenerateOptions{Events: events, Days: 2, End: testEnd, Seed: 42}
	st, err := Generate(context.Background(), dir, opts)
	require.NoError(t, err)
	require.Equal(t, events, st.Events)
	files := readTree(t, dir)
	require.Len(t, files, st.Files)

	var (
		n            int
		sources      = map[string]bool{}
		names        = map[string]bool{}
		idTypes      = map[string]bool{}
		types        = map[string]int{}
		cats         = map[string]int{}
		principals   = map[string]int{}
		eventIDs     = map[string]bool{}
		errs         int
		arnPrefix    bool
		failedLogin  bool
		noMFALogin   bool
		rootLogin    bool
		openIngress  bool
		sizeTotal    int
		securityRare = map[string]bool{}
	)
	lo := testEnd.Add(-48 * time.Hour)
	for p, b := range files {
		m := pathRE.FindStringSubmatch(p)
		require.NotNil(t, m, "bad path %s", p)
		require.Equal(t, m[1], m[6])
		require.Equal(t, m[2], m[7])
		delivered, err := time.Parse("20060102T1504Z", m[8])
		require.NoError(t, err)
		require.Equal(t, m[3]+"/"+m[4]+"/"+m[5], delivered.Format("2006/01/02"))
		raw := gunzip(t, b)
		var f struct{ Records []json.RawMessage }
		require.NoError(t, json.Unmarshal(raw, &f), p)
		require.NotEmpty(t, f.Records)
		require.LessOrEqual(t, len(f.Records), DefaultMaxEventsPerFile)
		for _, rr := range f.Records {
			n++
			sizeTotal += len(rr)
			var r testRecord
			require.NoError(t, json.Unmarshal(rr, &r))
			et, err := time.Parse(time.RFC3339, r.EventTime)
			require.NoError(t, err)
			require.False(t, et.Before(lo) || !et.Before(testEnd), "eventTime %s out of range", et)
			require.True(t, et.Before(delivered) && !et.Before(delivered.Add(-2*DeliveryWindow)), "eventTime %s vs file %s", et, delivered)
			require.Equal(t, m[1], r.RecipientAccountID)
			for _, v := range []string{r.EventVersion, r.EventSource, r.EventName, r.AWSRegion, r.EventType, r.EventCategory, r.EventID} {
				require.NotEmpty(t, v, string(rr))
			}
			require.NotNil(t, r.ManagementEvent)
			require.False(t, eventIDs[r.EventID], "duplicate eventID")
			eventIDs[r.EventID] = true
			sources[r.EventSource] = true
			names[r.EventName] = true
			idTypes[r.UserIdentity.Type] = true
			types[r.EventType]++
			cats[r.EventCategory]++
			u := r.UserIdentity
			principals[u.Type+"|"+u.ARN+u.PrincipalID+u.CredentialID+u.InvokedBy]++
			if r.ErrorCode != "" {
				errs++
			}
			for _, res := range r.Resources {
				if res["ARNPrefix"] != "" {
					arnPrefix = true
				}
			}
			if r.EventName == "ConsoleLogin" {
				require.Equal(t, "AwsConsoleSignIn", r.EventType)
				require.Contains(t, []any{"Success", "Failure"}, r.ResponseElements["ConsoleLogin"])
				failedLogin = failedLogin || r.ResponseElements["ConsoleLogin"] == "Failure"
				noMFALogin = noMFALogin || r.AdditionalEventData["MFAUsed"] == "No"
				rootLogin = rootLogin || u.Type == "Root"
			}
			if r.EventType == "AwsServiceEvent" {
				require.NotEmpty(t, r.ServiceEventDetails)
			}
			if r.EventName == "AuthorizeSecurityGroupIngress" && strings.Contains(string(r.RequestParameters), `"0.0.0.0/0"`) {
				openIngress = true
			}
			switch r.EventName {
			case "CreateAccessKey", "StopLogging", "DeleteTrail", "PutBucketPolicy":
				securityRare[r.EventName] = true
			}
		}
	}
	require.Equal(t, events, n)
	require.GreaterOrEqual(t, len(sources), 40)
	require.GreaterOrEqual(t, len(names), 250)
	for _, typ := range []string{"Root", "IAMUser", "AssumedRole", "FederatedUser", "AWSService", "SAMLUser", "WebIdentityUser", "IdentityCenterUser", "AWSAccount"} {
		require.True(t, idTypes[typ], "identity type %s missing", typ)
	}
	for _, typ := range []string{"AwsApiCall", "AwsServiceEvent", "AwsConsoleSignIn", "AwsVpceEvent"} {
		require.Positive(t, types[typ], typ)
	}
	require.Greater(t, cats["Data"], events/10)
	require.Positive(t, cats["NetworkActivity"])
	require.InDelta(t, 0.075, float64(errs)/events, 0.03)
	require.True(t, arnPrefix, "no ARNPrefix resource")
	require.True(t, failedLogin && noMFALogin && rootLogin, "sign-in variety")
	require.True(t, openIngress, "no 0.0.0.0/0 ingress")
	require.Len(t, securityRare, 4)
	avg := sizeTotal / n
	require.True(t, avg > 800 && avg < 2500, "average event size %d", avg)

	top, rare := 0, 0
	for _, c := range principals {
		top = max(top, c)
		if c <= 2 {
			rare++
		}
	}
	require.Greater(t, float64(top)/events, 0.05, "top principal share")
	require.Greater(t, rare, 100, "long tail of principals")
}

func TestRecordJSONMatchesEncodingJSON(t *testing.T) {
	m := newModel(3, 2)
	g := gen{m: m, r: newRand(3, 0), acct: m.accounts[1], region: "us-east-1"}
	for i := range 1000 {
		out := g.event(nil, testEnd.Add(time.Duration(i)*time.Second))
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(&g.rec))
		require.Equal(t, strings.TrimSuffix(buf.String(), "\n"), string(out))
	}
}

func TestGenerateCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Generate(ctx, dir, GenerateOptions{Events: 1000, Days: 1, End: testEnd})
	require.ErrorIs(t, err, context.Canceled)
	for p := range readTree(t, dir) {
		require.False(t, strings.HasSuffix(p, ".tmp"), p)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			var st GenerateStats
			for b.Loop() {
				dir := b.TempDir()
				var err error
				st, err = Generate(context.Background(), dir, GenerateOptions{Events: n, Days: 7, End: testEnd, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(st.Bytes)/float64(n), "gzbytes/event")
		})
	}
}
