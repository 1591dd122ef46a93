package query

import (
	"context"
	"testing"
)

// BenchmarkPrepare measures what validation plus dialect translation
// costs per statement (parse, checks, rewrite, json_deserialize_sql).
func BenchmarkPrepare(b *testing.B) {
	cat := newFakeCatalog(b)
	cat.addStore(prodID, prodName)
	e := newTestEngine(b, cat, Options{})
	q := "SELECT element_at(requestParameters, 'bucketName') AS bucket, date_format(eventTime, '%Y-%m-%d') AS d, " +
		"json_extract_scalar(eventJson, '$.userIdentity.arn'), count(*) FROM " + prodID +
		" WHERE eventTime > date_add('day', -7, now()) AND any_match(resources, r -> r.type = 'AWS::S3::Object') GROUP BY 1, 2, 3"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.prepare(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
