package query

import (
	"context"
	"errors"
	"testing"

	"github.com/auditlake/auditlake/lake"
)

// FuzzTranslate checks that the dialect translation never panics and that
// whatever it does not refuse comes out as SQL that DuckDB parses.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"SELECT element_at(requestParameters, 'bucketName') FROM " + prodID,
		"SELECT date_add('day', -7, now()), json_extract_scalar(eventJson, '$.a') FROM prod-trail",
		"SELECT reduce(ARRAY[1], 0, (s, x) -> s + x, s -> s), if(true, 1)",
		"SELECT CAST(json_parse('[1]') AS array(row(a varchar, b map(varchar, json))))",
		"SELECT listagg(eventName, ',') WITHIN GROUP (ORDER BY eventName) FROM prod-trail",
		"SELECT t.a FROM prod-trail CROSS JOIN UNNEST(resources, resources) WITH ORDINALITY AS t(a, b, n)",
		"SELECT date_format(eventTime, '%Y %i'), format_datetime(eventTime, 'yyyy ''x'' HH')",
		"SELECT regexp_replace(eventName, '(a)', '$1$1'), all_match(ARRAY[1], x -> x > 0)",
		"SELECT cast(x as row(int, varchar)) FROM (SELECT 1 AS x)",
		"SELECT IF(",
		"SELECT map_filter(requestParameters, (k, v) -> v IS NOT NULL), transform_values(MAP(ARRAY['a'], ARRAY[1]), (k, v) -> v + 1)",
		"SELECT regexp_position(eventName, 'a+', 2), approx_most_frequent(2, eventName, 10) FROM prod-trail WHERE eventTime < = now() - INTERVAL '7' DAY",
		"SELECT *, 1 FROM prod-trail CROSS JOIN UNNEST(requestParameters) WITH ORDINALITY AS t(k, v, n) WHERE date(eventTime) IN (current_date)",
	} {
		f.Add(s)
	}
	cat := newFakeCatalog(f)
	cat.addStore(prodID, prodName)
	e := newTestEngine(f, cat, Options{})
	f.Fuzz(func(t *testing.T, sql string) {
		st, err := e.prepare(context.Background(), sql)
		if err != nil {
			var se *StatementError
			if !errors.As(err, &se) && !errors.Is(err, lake.ErrStoreNotFound) && !errors.Is(err, context.Canceled) {
				// Translation templates failing to load would be a bug.
				t.Fatalf("%q: unexpected error type %T: %v", sql, err, err)
			}
			return
		}
		rw := &rewritten{Orig: st.sql, SQL: st.sql}
		if _, err := e.parser.parse(context.Background(), rw); err != nil {
			t.Fatalf("%q translated to %q, which does not parse: %v", sql, st.sql, err)
		}
	})
}
