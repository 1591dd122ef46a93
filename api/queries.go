package api

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/jobs"
)

// Queries is what the query handlers need of jobs.Manager.
type Queries interface {
	Start(ctx context.Context, in jobs.StartInput) (jobs.Query, error)
	Describe(ctx context.Context, id string) (jobs.Query, error)
	Results(ctx context.Context, id, nextToken string, max int) (jobs.ResultPage, error)
	List(ctx context.Context, in jobs.ListInput) (jobs.ListPage, error)
	Cancel(ctx context.Context, id string) (jobs.Query, error)
	PublicKeys(ctx context.Context) ([]jobs.PublicKey, error)
	// WaitEnd and WaitRows block, for at most d, until the query ends or,
	// for WaitRows, records more than rows result rows; at once for a
	// query that is not active.
	WaitEnd(ctx context.Context, id string, d time.Duration)
	WaitRows(ctx context.Context, id string, rows int64, d time.Duration)
}

var _ Queries = (*jobs.Manager)(nil)

func (s *Server) startQuery(c *call) (any, error) {
	var in struct {
		QueryStatement               string   `json:"QueryStatement"`
		DeliveryS3URI                string   `json:"DeliveryS3Uri"`
		QueryAlias                   string   `json:"QueryAlias"`
		QueryParameters              []string `json:"QueryParameters"`
		EventDataStoreOwnerAccountID string   `json:"EventDataStoreOwnerAccountId"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	switch {
	case in.QueryAlias != "" || len(in.QueryParameters) > 0:
		return nil, apierr.New(apierr.InvalidParameter, "QueryAlias and QueryParameters run dashboard queries, which auditlake does not support; send a QueryStatement.")
	case in.QueryStatement == "":
		return nil, apierr.New(apierr.InvalidParameter, "QueryStatement is required.")
	case in.EventDataStoreOwnerAccountID != "" && in.EventDataStoreOwnerAccountID != s.accountID():
		return nil, apierr.New(apierr.InvalidParameter, fmt.Sprintf("This auditlake serves account %s only.", s.accountID()))
	}
	q, err := s.opts.Queries.Start(c.ctx, jobs.StartInput{
		Statement:   in.QueryStatement,
		DeliveryURI: in.DeliveryS3URI,
		Authorize: func(_ context.Context, stores []lake.StoreInfo) error {
			arns := make([]string, len(stores))
			for i, st := range stores {
				arns[i] = st.ARN
			}
			return c.authorize(arns...)
		},
	})
	if err != nil {
		return nil, err
	}
	return struct {
		QueryID string `json:"QueryId"`
	}{q.ID}, nil
}

// query loads a query and authorizes the call on every store it reads.
// store, when set, is the deprecated EventDataStore parameter: the query
// must read that store.
func (c *call) query(id, store string) (jobs.Query, error) {
	if id == "" {
		return jobs.Query{}, apierr.New(apierr.InvalidParameter, "QueryId is required.")
	}
	q, err := c.s.opts.Queries.Describe(c.ctx, id)
	if err != nil {
		return jobs.Query{}, err
	}
	arns := make([]string, len(q.Stores))
	for i, sid := range q.Stores {
		arns[i] = c.s.storeARN(sid)
	}
	if err := c.authorize(arns...); err != nil {
		return jobs.Query{}, err
	}
	if store != "" {
		st, err := c.store(store)
		if err != nil {
			return jobs.Query{}, err
		}
		if !slices.Contains(q.Stores, st.ID) {
			return jobs.Query{}, fmt.Errorf("%w: query %s does not read event data store %s", jobs.ErrQueryNotFound, id, st.ID)
		}
	}
	return q, nil
}

type queryRefIn struct {
	QueryID                      string `json:"QueryId"`
	EventDataStore               string `json:"EventDataStore"`
	QueryAlias                   string `json:"QueryAlias"`
	RefreshID                    string `json:"RefreshId"`
	EventDataStoreOwnerAccountID string `json:"EventDataStoreOwnerAccountId"`
}

type describeStats struct {
	EventsMatched         int64  `json:"EventsMatched"`
	EventsScanned         int64  `json:"EventsScanned"`
	BytesScanned          int64  `json:"BytesScanned"`
	ExecutionTimeInMillis int64  `json:"ExecutionTimeInMillis"`
	CreationTime          *epoch `json:"CreationTime,omitempty"`
}

func (s *Server) describeQuery(c *call) (any, error) {
	var in queryRefIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.QueryAlias != "" || in.RefreshID != "" {
		return nil, apierr.New(apierr.InvalidParameter, "QueryAlias and RefreshId describe dashboard queries, which auditlake does not support; send a QueryId.")
	}
	q, err := c.query(in.QueryID, in.EventDataStore)
	if err != nil {
		return nil, err
	}
	if q.Status.Active() && s.opts.QueryWait > 0 {
		s.opts.Queries.WaitEnd(c.ctx, q.ID, s.opts.QueryWait)
		if q, err = s.opts.Queries.Describe(c.ctx, q.ID); err != nil {
			return nil, err
		}
	}
	return struct {
		QueryID         string              `json:"QueryId"`
		QueryString     string              `json:"QueryString"`
		QueryStatus     jobs.Status         `json:"QueryStatus"`
		QueryStatistics describeStats       `json:"QueryStatistics"`
		ErrorMessage    string              `json:"ErrorMessage,omitempty"`
		DeliveryS3URI   string              `json:"DeliveryS3Uri,omitempty"`
		DeliveryStatus  jobs.DeliveryStatus `json:"DeliveryStatus,omitempty"`
	}{
		QueryID: q.ID, QueryString: q.Statement, QueryStatus: q.Status, ErrorMessage: q.ErrorMessage,
		DeliveryS3URI: q.DeliveryURI, DeliveryStatus: q.DeliveryStatus,
		QueryStatistics: describeStats{
			EventsMatched: q.Stats.EventsMatched, EventsScanned: q.Stats.EventsScanned,
			BytesScanned: q.Stats.BytesScanned, ExecutionTimeInMillis: q.Stats.ExecutionTimeInMillis(),
			CreationTime: epochPtr(q.CreationTime),
		},
	}, nil
}

func (s *Server) getQueryResults(c *call) (any, error) {
	var in struct {
		queryRefIn
		NextToken       string `json:"NextToken"`
		MaxQueryResults *int   `json:"MaxQueryResults"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	max := 0 // absent: the default page
	if in.MaxQueryResults != nil {
		if max = *in.MaxQueryResults; max < 1 { // the model's min 1; 0 is not "the default"
			return nil, apierr.New(apierr.InvalidMaxResults, fmt.Sprintf("MaxQueryResults %d is not between 1 and %d", max, jobs.MaxResultsPerPage))
		}
	}
	if _, err := c.query(in.QueryID, in.EventDataStore); err != nil {
		return nil, err
	}
	page, err := s.opts.Queries.Results(c.ctx, in.QueryID, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	if page.Status.Active() && len(page.Rows) == 0 && s.opts.QueryWait > 0 {
		s.opts.Queries.WaitRows(c.ctx, in.QueryID, page.TotalResultsCount, s.opts.QueryWait)
		if page, err = s.opts.Queries.Results(c.ctx, in.QueryID, in.NextToken, max); err != nil {
			return nil, err
		}
	}
	return rawJSON(appendQueryResults(make([]byte, 0, queryResultsSize(page)), page)), nil
}

func (s *Server) listQueries(c *call) (any, error) {
	var in struct {
		EventDataStore string      `json:"EventDataStore"`
		NextToken      string      `json:"NextToken"`
		MaxResults     int         `json:"MaxResults"`
		StartTime      *epoch      `json:"StartTime"`
		EndTime        *epoch      `json:"EndTime"`
		QueryStatus    jobs.Status `json:"QueryStatus"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	st, err := c.store(in.EventDataStore)
	if err != nil {
		return nil, err
	}
	li := jobs.ListInput{Store: st.ARN, Status: in.QueryStatus, NextToken: in.NextToken, Max: in.MaxResults}
	if in.StartTime != nil {
		li.Start = time.Time(*in.StartTime)
	}
	if in.EndTime != nil {
		li.End = time.Time(*in.EndTime)
	}
	page, err := s.opts.Queries.List(c.ctx, li)
	if err != nil {
		return nil, err
	}
	type entry struct {
		QueryID      string      `json:"QueryId"`
		QueryStatus  jobs.Status `json:"QueryStatus"`
		CreationTime *epoch      `json:"CreationTime,omitempty"`
	}
	out := struct {
		Queries   []entry `json:"Queries"`
		NextToken string  `json:"NextToken,omitempty"`
	}{Queries: []entry{}, NextToken: page.NextToken}
	for _, q := range page.Queries {
		out.Queries = append(out.Queries, entry{q.ID, q.Status, epochPtr(q.CreationTime)})
	}
	return out, nil
}

func (s *Server) cancelQuery(c *call) (any, error) {
	var in queryRefIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if _, err := c.query(in.QueryID, in.EventDataStore); err != nil {
		return nil, err
	}
	q, err := s.opts.Queries.Cancel(c.ctx, in.QueryID)
	if err != nil {
		return nil, err
	}
	return struct {
		QueryID     string      `json:"QueryId"`
		QueryStatus jobs.Status `json:"QueryStatus"`
	}{q.ID, q.Status}, nil
}

func (s *Server) listPublicKeys(c *call) (any, error) {
	var in struct {
		StartTime *epoch `json:"StartTime"`
		EndTime   *epoch `json:"EndTime"`
		NextToken string `json:"NextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	if in.NextToken != "" {
		return nil, apierr.New("InvalidTokenException", "ListPublicKeys returns every key in one page.")
	}
	keys, err := s.opts.Queries.PublicKeys(c.ctx)
	if err != nil {
		return nil, err
	}
	type keyOut struct {
		Value             []byte `json:"Value"`
		ValidityStartTime *epoch `json:"ValidityStartTime,omitempty"`
		ValidityEndTime   *epoch `json:"ValidityEndTime,omitempty"`
		Fingerprint       string `json:"Fingerprint"`
	}
	out := struct {
		PublicKeyList []keyOut `json:"PublicKeyList"`
	}{PublicKeyList: []keyOut{}}
	for _, k := range keys {
		if in.EndTime != nil && k.ValidityStartTime.After(time.Time(*in.EndTime)) {
			continue
		}
		out.PublicKeyList = append(out.PublicKeyList, keyOut{k.Value, epochPtr(k.ValidityStartTime), epochPtr(k.ValidityEndTime), k.Fingerprint})
	}
	return out, nil
}
