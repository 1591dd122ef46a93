package query

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// mapResolver resolves the stores of the test lake without a catalog.
func mapResolver(ctx context.Context, ref string) (lake.StoreInfo, bool, error) {
	for _, s := range []lake.StoreInfo{{ID: prodID, Name: prodName}, {ID: backupID, Name: backupNm}} {
		if strings.EqualFold(ref, s.ID) || ref == s.Name {
			return s, true, nil
		}
	}
	return lake.StoreInfo{}, false, nil
}

func TestRewriteRefs(t *testing.T) {
	const s1, s2 = placeholderPrefix + "1", placeholderPrefix + "2"
	tests := []struct {
		name, in, want string
		refs           []string // Text of each reference, "!" prefix when unresolved
	}{
		{"unquoted uuid", "SELECT * FROM " + prodID, "SELECT * FROM " + s1 + ` AS "` + prodID + `"`, []string{prodID}},
		{"uuid with alias", "SELECT * FROM " + prodID + " e WHERE 1=1", "SELECT * FROM " + s1 + " e WHERE 1=1", []string{prodID}},
		{"uuid with AS alias", "SELECT * FROM " + prodID + " AS e", "SELECT * FROM " + s1 + " AS e", []string{prodID}},
		{"upper-case uuid", "select 1 from " + strings.ToUpper(prodID) + ";", "select 1 from " + s1 + ` AS "` + strings.ToUpper(prodID) + `";`, []string{strings.ToUpper(prodID)}},
		{"name with dash", "SELECT * FROM prod-trail WHERE x", "SELECT * FROM " + s1 + ` AS "prod-trail" WHERE x`, []string{prodName}},
		{"name with dot", "SELECT * FROM audit.backup\nLIMIT 1", "SELECT * FROM " + s1 + ` AS "audit.backup"` + "\nLIMIT 1", []string{backupNm}},
		{"quoted name", `SELECT * FROM "prod-trail" p`, "SELECT * FROM " + s1 + " p", []string{prodName}},
		{"string literal uuid", "SELECT * FROM '" + prodID + "'", "SELECT * FROM " + s1 + ` AS "` + prodID + `"`, []string{prodID}},
		{"string literal file left alone", "SELECT * FROM '/etc/passwd'", "SELECT * FROM '/etc/passwd'", nil},
		{
			"join and comma list", "SELECT * FROM prod-trail a JOIN " + backupID + " b ON a.x = b.x, audit.backup c",
			"SELECT * FROM " + s1 + " a JOIN " + s2 + " b ON a.x = b.x, " + placeholderPrefix + "3 c",
			[]string{prodName, backupID, backupNm},
		},
		{
			"union", "SELECT 1 FROM prod-trail UNION ALL SELECT 1 FROM audit.backup",
			"SELECT 1 FROM " + s1 + ` AS "prod-trail" UNION ALL SELECT 1 FROM ` + s2 + ` AS "audit.backup"`,
			[]string{prodName, backupNm},
		},
		{"subquery", "SELECT * FROM (SELECT * FROM prod-trail) x", "SELECT * FROM (SELECT * FROM " + s1 + ` AS "prod-trail") x`, []string{prodName}},
		{"lateral", "SELECT * FROM a, LATERAL (SELECT 1) x", "SELECT * FROM " + s1 + ` AS "a", LATERAL (SELECT 1) x`, []string{"!a"}},
		{"table function", "SELECT * FROM read_csv('x')", "SELECT * FROM read_csv('x')", nil},
		{"extract is not a FROM clause", "SELECT extract(hour FROM eventTime) FROM prod-trail", "SELECT extract(hour FROM eventTime) FROM " + s1 + ` AS "prod-trail"`, []string{prodName}},
		{"trim and substring", "SELECT trim(both 'x' FROM y), substring(y FROM 2 FOR 3) FROM t", "SELECT trim(both 'x' FROM y), substring(y FROM 2 FOR 3) FROM " + s1 + ` AS "t"`, []string{"!t"}},
		{"is distinct from", "SELECT a IS NOT DISTINCT FROM b FROM prod-trail", "SELECT a IS NOT DISTINCT FROM b FROM " + s1 + ` AS "prod-trail"`, []string{prodName}},
		{"scalar subquery in call", "SELECT coalesce((SELECT max(x) FROM prod-trail), 0)", "SELECT coalesce((SELECT max(x) FROM " + s1 + ` AS "prod-trail"), 0)`, []string{prodName}},
		{"exists subquery", "SELECT EXISTS(SELECT 1 FROM prod-trail)", "SELECT EXISTS(SELECT 1 FROM " + s1 + ` AS "prod-trail")`, []string{prodName}},
		{"keywords in strings and comments", "SELECT 'FROM x', E'FROM \\' y', $$FROM z$$ -- FROM w\n/* FROM /* v */ u */ FROM prod-trail", "SELECT 'FROM x', E'FROM \\' y', $$FROM z$$ -- FROM w\n/* FROM /* v */ u */ FROM " + s1 + ` AS "prod-trail"`, []string{prodName}},
		{"quoted identifier hiding FROM", `SELECT "FROM x" FROM prod-trail`, `SELECT "FROM x" FROM ` + s1 + ` AS "prod-trail"`, []string{prodName}},
		{"comment ends a name", "SELECT * FROM prod-trail--comment\n", "SELECT * FROM " + s1 + ` AS "prod-trail"` + "--comment\n", []string{prodName}},
		{"cte shadows store", `WITH "prod-trail" AS (SELECT 1) SELECT * FROM "prod-trail"`, `WITH "prod-trail" AS (SELECT 1) SELECT * FROM "prod-trail"`, nil},
		{
			"cte list", "WITH RECURSIVE a(x) AS (SELECT 1), b AS MATERIALIZED (SELECT * FROM a) SELECT * FROM b JOIN prod-trail ON true",
			"WITH RECURSIVE a(x) AS (SELECT 1), b AS MATERIALIZED (SELECT * FROM a) SELECT * FROM b JOIN " + s1 + ` AS "prod-trail" ON true`,
			[]string{prodName},
		},
		{"unknown store", "SELECT * FROM no-such", "SELECT * FROM " + s1 + ` AS "no-such"`, []string{"!no-such"}},
		{"from-first", "FROM prod-trail SELECT 1", "FROM " + s1 + ` AS "prod-trail" SELECT 1`, []string{prodName}},
		{"unterminated string", "SELECT 'FROM x", "SELECT 'FROM x", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rw, err := rewriteRefs(context.Background(), tc.in, mapResolver)
			require.NoError(t, err)
			require.Equal(t, tc.want, rw.SQL)
			var refs []string
			for _, r := range rw.Refs {
				if r.Found {
					refs = append(refs, r.Text)
				} else {
					refs = append(refs, "!"+r.Text)
				}
			}
			require.Equal(t, tc.refs, refs)
		})
	}
}

func TestRewriteRefsResolverError(t *testing.T) {
	boom := errors.New("boom")
	_, err := rewriteRefs(context.Background(), "SELECT * FROM x", func(context.Context, string) (lake.StoreInfo, bool, error) {
		return lake.StoreInfo{}, false, boom
	})
	require.ErrorIs(t, err, boom)
}

func TestOrigOffset(t *testing.T) {
	in := "SELECT * FROM " + prodID + " WHERE nosuch > 1"
	rw, err := rewriteRefs(context.Background(), in, mapResolver)
	require.NoError(t, err)
	i := strings.Index(rw.SQL, "nosuch")
	require.Equal(t, strings.Index(in, "nosuch"), rw.origOffset(i))
	require.Equal(t, strings.Index(in, prodID), rw.origOffset(strings.Index(rw.SQL, placeholderPrefix)+3))
	require.Equal(t, 3, rw.origOffset(3))
}

func TestStatementErrorPosition(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	err := e.Validate(context.Background(), "SELECT *\nFROM "+prodID+" x,\n  read_csv('/etc/passwd')")
	var se *StatementError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 3, se.Line)
	require.Equal(t, 3, se.Column)
	require.ErrorContains(t, err, "read_csv is not allowed at line 3, column 3")

	err = e.Validate(context.Background(), "SELECT * FROM "+prodID+"\nWHERE WHERE")
	require.ErrorAs(t, err, &se)
	require.Equal(t, 2, se.Line)
	require.Equal(t, 7, se.Column)
}
