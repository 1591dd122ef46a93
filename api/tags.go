package api

import (
	"errors"
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/lake"
)

// Tags live in the control plane, namespace "tags", one record per
// resource ARN: the list of tags in the order they were added.
const (
	tagsNamespace   = "tags"
	maxTagsPerRes   = 50 // TagsLimitExceededException's documented limit
	maxListTagsARNs = 20
)

func checkTags(tags []lake.Tag, existing int) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return apierr.New(apierr.InvalidTagParameter, fmt.Sprintf("Tag key %q uses the reserved prefix aws:.", t.Key))
		}
		if seen[t.Key] {
			return apierr.New(apierr.InvalidTagParameter, fmt.Sprintf("Tag key %q appears more than once.", t.Key))
		}
		seen[t.Key] = true
	}
	if existing+len(tags) > maxTagsPerRes {
		return apierr.New(apierr.TagsLimitExceeded, fmt.Sprintf("A resource can have at most %d tags.", maxTagsPerRes))
	}
	return nil
}

func (s *Server) putTags(arn string, tags []lake.Tag) error {
	if tags == nil {
		tags = []lake.Tag{}
	}
	return s.opts.Lake.ControlUpdate(func(c lake.Control) error { return c.Put(tagsNamespace, arn, tags) })
}

// tagsOf returns a resource's tags; fallback are the tags its own record
// carries, used when the API never stored any for it.
func (s *Server) tagsOf(arn string, fallback []lake.Tag) ([]lake.Tag, error) {
	var tags []lake.Tag
	err := s.opts.Lake.ControlView(func(c lake.Control) error { return c.Get(tagsNamespace, arn, &tags) })
	if errors.Is(err, lake.ErrNoRecord) {
		return fallback, nil
	}
	return tags, err
}

// resource checks that arn names an existing store or channel of this
// account and region, and returns the tags it was created with.
func (c *call) resource(arn string) ([]lake.Tag, error) {
	s := c.s
	switch {
	case strings.HasPrefix(arn, s.arnPrefix("eventdatastore")):
		st, err := s.opts.Lake.GetStore(c.ctx, arn)
		if err != nil {
			return nil, err
		}
		if st.Hidden {
			return nil, fmt.Errorf("%w: %s", lake.ErrStoreNotFound, arn)
		}
		if st.Status == lake.StatusPendingDeletion && c.op != "ListTags" {
			return nil, fmt.Errorf("%w: event data store %s is pending deletion", lake.ErrInactiveStore, st.ID)
		}
		return st.Tags, nil
	case strings.HasPrefix(arn, s.arnPrefix("channel")):
		if s.opts.Channels == nil {
			return nil, apierr.New(apierr.UnsupportedOperation, "channels are not enabled on this server")
		}
		ch, err := s.opts.Channels.Get(c.ctx, arn)
		if err != nil {
			return nil, err
		}
		return ch.Tags, nil
	case strings.HasPrefix(arn, "arn:aws:cloudtrail:"):
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) == 6 && (parts[3] != s.region() || parts[4] != s.accountID()) {
			return nil, apierr.New(apierr.ResourceNotFound, fmt.Sprintf("Resource %s does not exist in account %s, region %s.", arn, s.accountID(), s.region()))
		}
		return nil, apierr.New(apierr.ResourceTypeNotSupport, fmt.Sprintf("auditlake tags event data stores and channels; %s is neither.", arn))
	}
	return nil, apierr.New("CloudTrailARNInvalidException", fmt.Sprintf("%q is not a CloudTrail resource ARN.", arn))
}

type tagsIn struct {
	ResourceID string     `json:"ResourceId"`
	TagsList   []lake.Tag `json:"TagsList"`
}

func (s *Server) addTags(c *call) (any, error) {
	var in tagsIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(in.ResourceID); err != nil {
		return nil, err
	}
	created, err := c.resource(in.ResourceID)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.TagsList, 0); err != nil {
		return nil, err
	}
	err = s.opts.Lake.ControlUpdate(func(ctl lake.Control) error {
		cur := created
		if err := ctl.Get(tagsNamespace, in.ResourceID, &cur); err != nil && !errors.Is(err, lake.ErrNoRecord) {
			return err
		}
		for _, t := range in.TagsList {
			replaced := false
			for i := range cur {
				if cur[i].Key == t.Key {
					cur[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				cur = append(cur, t)
			}
		}
		if len(cur) > maxTagsPerRes {
			return apierr.New(apierr.TagsLimitExceeded, fmt.Sprintf("%s would have %d tags; a resource can have at most %d.", in.ResourceID, len(cur), maxTagsPerRes))
		}
		return ctl.Put(tagsNamespace, in.ResourceID, cur)
	})
	return struct{}{}, err
}

func (s *Server) removeTags(c *call) (any, error) {
	var in tagsIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(in.ResourceID); err != nil {
		return nil, err
	}
	created, err := c.resource(in.ResourceID)
	if err != nil {
		return nil, err
	}
	err = s.opts.Lake.ControlUpdate(func(ctl lake.Control) error {
		cur := created
		if err := ctl.Get(tagsNamespace, in.ResourceID, &cur); err != nil && !errors.Is(err, lake.ErrNoRecord) {
			return err
		}
		kept := []lake.Tag{}
		for _, t := range cur {
			drop := false
			for _, r := range in.TagsList {
				drop = drop || r.Key == t.Key
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		return ctl.Put(tagsNamespace, in.ResourceID, kept)
	})
	return struct{}{}, err
}

type resourceTag struct {
	ResourceID string     `json:"ResourceId"`
	TagsList   []lake.Tag `json:"TagsList"`
}

func (s *Server) listTags(c *call) (any, error) {
	var in struct {
		ResourceIDList []string `json:"ResourceIdList"`
		NextToken      string   `json:"NextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if len(in.ResourceIDList) == 0 || len(in.ResourceIDList) > maxListTagsARNs {
		return nil, apierr.New(apierr.InvalidParameter, fmt.Sprintf("ResourceIdList must name 1 to %d resources.", maxListTagsARNs))
	}
	if in.NextToken != "" {
		return nil, apierr.New("InvalidTokenException", "ListTags returns every tag in one page; NextToken is reserved.")
	}
	if err := c.authorize(in.ResourceIDList...); err != nil {
		return nil, err
	}
	out := struct {
		ResourceTagList []resourceTag `json:"ResourceTagList"`
	}{ResourceTagList: []resourceTag{}}
	for _, arn := range in.ResourceIDList {
		created, err := c.resource(arn)
		if err != nil {
			return nil, err
		}
		tags, err := s.tagsOf(arn, created)
		if err != nil {
			return nil, err
		}
		if tags == nil {
			tags = []lake.Tag{}
		}
		out.ResourceTagList = append(out.ResourceTagList, resourceTag{ResourceID: arn, TagsList: tags})
	}
	return out, nil
}
