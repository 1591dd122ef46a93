package api

import (
	"fmt"
	"slices"
	"time"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// storeOut is a store on the wire (StoreShape, in storeshape.go, with
// epoch-second timestamps).
type storeOut = StoreShape[epoch]

// storeShape converts a store to its API shape.
func storeShape(s lake.StoreInfo) storeOut {
	return shapeOf(s, func(t time.Time) epoch { return epoch(t) })
}

// store resolves an EventDataStore parameter after authorizing the call on
// the ARN it names. Only an ARN or an ID addresses a store here, as in
// AWS: a name would be authorized on an ARN that is not the store's.
func (c *call) store(ref string) (lake.StoreInfo, error) {
	arn := c.storeRef(ref)
	if err := c.authorize(arn); err != nil {
		return lake.StoreInfo{}, err
	}
	st, err := c.s.opts.Lake.GetStore(c.ctx, ref)
	if err != nil {
		return lake.StoreInfo{}, err
	}
	if st.ARN != arn || st.Hidden { // the event-history store is not the user's
		return lake.StoreInfo{}, fmt.Errorf("%w: %s", lake.ErrStoreNotFound, ref)
	}
	return st, nil
}

type storeRefIn struct {
	EventDataStore string `json:"EventDataStore"`
}

func (s *Server) createStore(c *call) (any, error) {
	var in struct {
		Name                         string                       `json:"Name"`
		AdvancedEventSelectors       []lake.AdvancedEventSelector `json:"AdvancedEventSelectors"`
		MultiRegionEnabled           *bool                        `json:"MultiRegionEnabled"`
		OrganizationEnabled          *bool                        `json:"OrganizationEnabled"`
		RetentionPeriod              *int                         `json:"RetentionPeriod"`
		TerminationProtectionEnabled *bool                        `json:"TerminationProtectionEnabled"`
		TagsList                     []lake.Tag                   `json:"TagsList"`
		KmsKeyID                     string                       `json:"KmsKeyId"`
		StartIngestion               *bool                        `json:"StartIngestion"`
		BillingMode                  string                       `json:"BillingMode"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.arnPrefix("eventdatastore") + "*"); err != nil {
		return nil, err
	}
	if err := checkTags(in.TagsList, 0); err != nil {
		return nil, err
	}
	st, err := s.opts.Lake.CreateStore(c.ctx, lake.CreateStoreInput{
		Name: in.Name, AdvancedEventSelectors: in.AdvancedEventSelectors, MultiRegionEnabled: in.MultiRegionEnabled,
		OrganizationEnabled: in.OrganizationEnabled, RetentionPeriod: in.RetentionPeriod,
		TerminationProtectionEnabled: in.TerminationProtectionEnabled, BillingMode: in.BillingMode,
		KmsKeyID: in.KmsKeyID, Tags: in.TagsList, StartIngestion: in.StartIngestion,
	})
	if err != nil {
		return nil, err
	}
	if err := s.putTags(st.ARN, in.TagsList); err != nil {
		return nil, err
	}
	out := storeShape(st)
	out.TagsList = in.TagsList
	return out, nil
}

func (s *Server) getStore(c *call) (any, error) {
	var in storeRefIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	st, err := c.store(in.EventDataStore)
	if err != nil {
		return nil, err
	}
	stats, err := s.opts.Lake.Stats(c.ctx, st.ID)
	if err != nil {
		return nil, err
	}
	return struct {
		storeOut
		Stats StoreStats[epoch] `json:"Stats"`
	}{storeShape(st), statsOf(stats, func(t time.Time) epoch { return epoch(t) })}, nil
}

func (s *Server) listStores(c *call) (any, error) {
	var in struct {
		NextToken  string `json:"NextToken"`
		MaxResults int    `json:"MaxResults"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	after := ""
	if in.NextToken != "" {
		var err error
		if after, err = parsePageToken("eds", in.NextToken); err != nil {
			return nil, err
		}
	}
	if in.MaxResults == 0 {
		in.MaxResults = 1000
	}
	all, err := s.opts.Lake.ListStores(c.ctx)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(st lake.StoreInfo) bool { return st.Hidden })
	start := 0
	if after != "" {
		start = -1
		for i, st := range all {
			if st.ID == after {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, apierr.New(apierr.InvalidNextToken, "The NextToken is not valid: the event data store it resumes after is gone.")
		}
	}
	out := struct {
		EventDataStores []storeOut `json:"EventDataStores"`
		NextToken       string     `json:"NextToken,omitempty"`
	}{EventDataStores: []storeOut{}}
	for _, st := range all[start:] {
		if len(out.EventDataStores) == in.MaxResults {
			out.NextToken = pageToken("eds", out.EventDataStores[len(out.EventDataStores)-1].id())
			break
		}
		out.EventDataStores = append(out.EventDataStores, storeShape(st))
	}
	return out, nil
}

// id is the store ID at the end of the ARN.
func (o StoreShape[T]) id() string {
	for i := len(o.EventDataStoreArn) - 1; i >= 0; i-- {
		if o.EventDataStoreArn[i] == '/' {
			return o.EventDataStoreArn[i+1:]
		}
	}
	return o.EventDataStoreArn
}

func (s *Server) updateStore(c *call) (any, error) {
	var in struct {
		EventDataStore               string                       `json:"EventDataStore"`
		Name                         *string                      `json:"Name"`
		AdvancedEventSelectors       []lake.AdvancedEventSelector `json:"AdvancedEventSelectors"`
		MultiRegionEnabled           *bool                        `json:"MultiRegionEnabled"`
		OrganizationEnabled          *bool                        `json:"OrganizationEnabled"`
		RetentionPeriod              *int                         `json:"RetentionPeriod"`
		TerminationProtectionEnabled *bool                        `json:"TerminationProtectionEnabled"`
		KmsKeyID                     *string                      `json:"KmsKeyId"`
		BillingMode                  *string                      `json:"BillingMode"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	st, err := c.store(in.EventDataStore)
	if err != nil {
		return nil, err
	}
	st, err = s.opts.Lake.UpdateStore(c.ctx, st.ID, lake.UpdateStoreInput{
		Name: in.Name, AdvancedEventSelectors: in.AdvancedEventSelectors, MultiRegionEnabled: in.MultiRegionEnabled,
		OrganizationEnabled: in.OrganizationEnabled, RetentionPeriod: in.RetentionPeriod,
		TerminationProtectionEnabled: in.TerminationProtectionEnabled, KmsKeyID: in.KmsKeyID, BillingMode: in.BillingMode,
	})
	if err != nil {
		return nil, err
	}
	return storeShape(st), nil
}

// storeAction runs one of the store actions that take only EventDataStore.
func (s *Server) storeAction(fn func(c *call, id string) (lake.StoreInfo, error), shape bool) handler {
	return func(c *call) (any, error) {
		var in storeRefIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		st, err := c.store(in.EventDataStore)
		if err != nil {
			return nil, err
		}
		st, err = fn(c, st.ID)
		if err != nil {
			return nil, err
		}
		if !shape {
			return struct{}{}, nil
		}
		return storeShape(st), nil
	}
}

func (s *Server) deleteStore(c *call, id string) (lake.StoreInfo, error) {
	if s.opts.Channels != nil {
		chs, err := s.opts.Channels.ForStore(c.ctx, s.storeARN(id))
		if err != nil {
			return lake.StoreInfo{}, err
		}
		if len(chs) > 0 {
			return lake.StoreInfo{}, fmt.Errorf("%w: channel %s delivers to event data store %s; delete it or change its destinations first", ingest.ErrChannelExistsForEventDataStore, chs[0].ARN, id)
		}
	}
	return s.opts.Lake.DeleteStore(c.ctx, id)
}

func (s *Server) restoreStore(c *call, id string) (lake.StoreInfo, error) {
	return s.opts.Lake.RestoreStore(c.ctx, id)
}

func (s *Server) setIngestion(on bool) func(c *call, id string) (lake.StoreInfo, error) {
	return func(c *call, id string) (lake.StoreInfo, error) {
		st, err := s.opts.Lake.GetStore(c.ctx, id)
		if err != nil {
			return st, err
		}
		if st.Hidden {
			return st, fmt.Errorf("%w: %s", lake.ErrStoreNotFound, id)
		}
		switch {
		case on && st.Status == lake.StatusEnabled, !on && st.Status == lake.StatusStoppedIngestion:
			return st, fmt.Errorf("%w: event data store %s is already %s", lake.ErrInvalidStatus, id, st.Status)
		}
		return s.opts.Lake.SetIngestion(c.ctx, id, on)
	}
}
