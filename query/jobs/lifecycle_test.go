package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

func TestStartRunsToFinished(t *testing.T) {
	e := newEnv(t, 50, Options{})
	ctx := context.Background()
	var authorized []lake.StoreInfo
	q, err := e.m.Start(ctx, StartInput{
		Statement: fmt.Sprintf("SELECT eventName, count(*) AS n FROM %s GROUP BY eventName ORDER BY eventName", e.store.ID),
		Authorize: func(_ context.Context, stores []lake.StoreInfo) error { authorized = stores; return nil },
	})
	require.NoError(t, err)
	require.Equal(t, StatusQueued, q.Status)
	require.Len(t, q.ID, 36)
	require.Equal(t, []string{e.store.ID}, q.Stores)
	require.Len(t, authorized, 1)
	require.Equal(t, e.store.ID, authorized[0].ID)

	q = e.wait(q.ID, 30*time.Second)
	require.Equal(t, StatusFinished, q.Status, q.ErrorMessage)
	require.Empty(t, q.ErrorMessage)
	require.EqualValues(t, 4, q.Stats.TotalResultsCount)
	require.EqualValues(t, 4, q.Stats.EventsMatched)
	require.EqualValues(t, 50, q.Stats.EventsScanned)
	man, err := e.l.Manifest(ctx, e.store.ID)
	require.NoError(t, err)
	require.Equal(t, man.Bytes(), q.Stats.BytesScanned)
	require.False(t, q.StartTime.Before(q.CreationTime))
	require.False(t, q.EndTime.Before(q.StartTime))
	require.Empty(t, q.DeliveryStatus)

	page, err := e.m.Results(ctx, q.ID, "", 0)
	require.NoError(t, err)
	require.Equal(t, StatusFinished, page.Status)
	require.Empty(t, page.NextToken)
	require.Equal(t, []string{"eventName", "n"}, page.Columns)
	require.Equal(t, 4, page.ResultsCount)
	require.EqualValues(t, 4, page.TotalResultsCount)
	require.Equal(t, []Field{{"eventName", "DeleteObject"}, {"n", "12"}}, page.Rows[0])
	require.Equal(t, []Field{{"eventName", "PutObject"}, {"n", "13"}}, page.Rows[3])
}

func TestStartRejectsSynchronously(t *testing.T) {
	e := newEnv(t, 5, Options{})
	ctx := context.Background()
	denied := errors.New("denied")
	for _, tc := range []struct {
		name string
		in   StartInput
		want error
	}{
		{"empty", StartInput{}, ErrInvalidParameter},
		{"too long", StartInput{Statement: "SELECT 1 " + strings.Repeat(" ", MaxStatementLength)}, ErrInvalidParameter},
		{"syntax", StartInput{Statement: "SELEC eventName FROM " + e.store.ID}, query.ErrInvalidStatement},
		{"not a select", StartInput{Statement: "DELETE FROM " + e.store.ID}, query.ErrInvalidStatement},
		{"unknown store", StartInput{Statement: "SELECT eventName FROM nosuchstore"}, lake.ErrStoreNotFound},
		{"denied", StartInput{Statement: "SELECT eventName FROM " + e.store.ID,
			Authorize: func(context.Context, []lake.StoreInfo) error { return denied }}, denied},
		{"bad delivery uri", StartInput{Statement: "SELECT eventName FROM " + e.store.ID, DeliveryURI: "https://x/y"}, ErrInvalidDeliveryURI},
		{"no such bucket", StartInput{Statement: "SELECT eventName FROM " + e.store.ID, DeliveryURI: "s3://missing-bucket/p"}, ErrDeliveryBucketNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.m.Start(ctx, tc.in)
			require.ErrorIs(t, err, tc.want)
		})
	}
	page, err := e.m.List(ctx, ListInput{Store: e.store.ID})
	require.NoError(t, err)
	require.Empty(t, page.Queries, "refused queries are not recorded")
}

func TestEngineCancelIsPrompt(t *testing.T) {
	e := newEnv(t, 3000, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		rows, err := e.eng.Query(ctx, e.longSQL())
		if err == nil {
			for rows.Next() {
			}
			err = errors.Join(rows.Err(), rows.Close())
		}
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the long query ended before it was cancelled: %v", err)
	default:
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		t.Logf("time to cancel: %s", time.Since(start))
	case <-time.After(10 * time.Second):
		t.Fatal("DuckDB did not stop within 10s of the cancel")
	}
}
