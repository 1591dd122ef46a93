package lake

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketSettings = []byte("settings")
	bucketStores   = []byte("stores")
)

func (l *Lake) initSettings() error {
	return l.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSettings, bucketStores, bucketBatches} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		s := tx.Bucket(bucketSettings)
		for _, kv := range []struct {
			key string
			val *string
			def string
		}{{"region", &l.opts.Region, DefaultRegion}, {"account", &l.opts.AccountID, DefaultAccountID}} {
			stored := string(s.Get([]byte(kv.key)))
			switch {
			case stored == "" && *kv.val == "":
				*kv.val = kv.def
			case stored != "" && *kv.val == "":
				*kv.val = stored
				continue
			case stored != "" && stored != *kv.val:
				return fmt.Errorf("%w: this lake's %s is %s, not %s", ErrInvalidParameter, kv.key, stored, *kv.val)
			}
			if err := s.Put([]byte(kv.key), []byte(*kv.val)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Region is the lake's AWS region name, used in ARNs.
func (l *Lake) Region() string { return l.opts.Region }

// AccountID is the lake's account, used in ARNs.
func (l *Lake) AccountID() string { return l.opts.AccountID }

func (l *Lake) storeARN(id string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:eventdatastore/%s", l.opts.Region, l.opts.AccountID, id)
}

// CreateStore creates an event data store with the API's defaults for
// whatever in leaves unset.
func (l *Lake) CreateStore(ctx context.Context, in CreateStoreInput) (StoreInfo, error) {
	if err := ValidateCreate(in); err != nil {
		return StoreInfo{}, err
	}
	now := l.now()
	s := StoreInfo{
		ID:                           uuid.NewString(),
		Name:                         in.Name,
		Status:                       StatusEnabled,
		AdvancedEventSelectors:       in.AdvancedEventSelectors,
		MultiRegionEnabled:           boolOr(in.MultiRegionEnabled, true),
		OrganizationEnabled:          boolOr(in.OrganizationEnabled, false),
		TerminationProtectionEnabled: boolOr(in.TerminationProtectionEnabled, true),
		BillingMode:                  in.BillingMode,
		KmsKeyID:                     in.KmsKeyID,
		Tags:                         in.Tags,
		CreatedTimestamp:             now,
		UpdatedTimestamp:             now,
	}
	s.ARN = l.storeARN(s.ID)
	if s.AdvancedEventSelectors == nil {
		s.AdvancedEventSelectors = DefaultSelectors()
	}
	if s.BillingMode == "" {
		s.BillingMode = BillingExtendable
	}
	switch {
	case in.RetentionPeriod != nil:
		s.RetentionPeriod = *in.RetentionPeriod
	case s.BillingMode == BillingFixed:
		s.RetentionPeriod = DefaultFixedRetentionDays
	default:
		s.RetentionPeriod = DefaultRetentionDays
	}
	if !boolOr(in.StartIngestion, true) {
		s.Status = StatusStoppedIngestion
	}
	err := l.db.Update(func(tx *bolt.Tx) error {
		all, err := allStores(tx)
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(o StoreInfo) bool { return o.Hidden })
		if len(all) >= l.opts.MaxStores {
			return fmt.Errorf("%w: this lake has %d event data stores, the most it allows", ErrStoreLimit, len(all))
		}
		for _, o := range all {
			if o.Name == s.Name {
				return fmt.Errorf("%w: an event data store named %q exists (%s)", ErrStoreExists, o.Name, o.ID)
			}
		}
		if err := recordStoreChange(tx, StoreInfo{}, s, now); err != nil {
			return err
		}
		return putStore(tx, s)
	})
	if err != nil {
		return StoreInfo{}, err
	}
	l.log.Info("created event data store", "store", s.ID, "name", s.Name)
	return s, nil
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// GetStore finds a store by ARN, ID or name, including a store that is
// pending deletion.
func (l *Lake) GetStore(ctx context.Context, ref string) (StoreInfo, error) {
	var s StoreInfo
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		s, err = findStore(tx, ref)
		return err
	})
	return s, err
}

// ListStores returns every store, oldest first, hidden stores included
// (see StoreInfo.Hidden; listings for users leave them out).
func (l *Lake) ListStores(ctx context.Context) ([]StoreInfo, error) {
	var out []StoreInfo
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = allStores(tx)
		return err
	})
	return out, err
}

// UpdateStore changes a store's settings.
func (l *Lake) UpdateStore(ctx context.Context, ref string, in UpdateStoreInput) (StoreInfo, error) {
	return l.modifyStore(ref, func(tx *bolt.Tx, s *StoreInfo) error {
		if s.Status == StatusPendingDeletion {
			return fmt.Errorf("%w: event data store %s is pending deletion", ErrInactiveStore, s.ID)
		}
		if err := ValidateUpdate(*s, in); err != nil {
			return err
		}
		if in.Name != nil && *in.Name != s.Name {
			all, err := allStores(tx)
			if err != nil {
				return err
			}
			for _, o := range all {
				if o.Name == *in.Name {
					return fmt.Errorf("%w: an event data store named %q exists (%s)", ErrStoreExists, o.Name, o.ID)
				}
			}
			s.Name = *in.Name
		}
		if in.AdvancedEventSelectors != nil {
			s.AdvancedEventSelectors = in.AdvancedEventSelectors
		}
		setIf(&s.MultiRegionEnabled, in.MultiRegionEnabled)
		setIf(&s.OrganizationEnabled, in.OrganizationEnabled)
		setIf(&s.RetentionPeriod, in.RetentionPeriod)
		setIf(&s.TerminationProtectionEnabled, in.TerminationProtectionEnabled)
		setIf(&s.BillingMode, in.BillingMode)
		setIf(&s.KmsKeyID, in.KmsKeyID)
		return nil
	})
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// DeleteStore puts a store into PENDING_DELETION: it takes no events and
// answers no queries, and RestoreStore brings it back whole until the
// pending-deletion window ends.
func (l *Lake) DeleteStore(ctx context.Context, ref string) (StoreInfo, error) {
	return l.modifyStore(ref, func(_ *bolt.Tx, s *StoreInfo) error {
		if s.TerminationProtectionEnabled {
			return fmt.Errorf("%w: %s; turn it off with an update first", ErrTerminationProtected, s.ID)
		}
		if s.Status == StatusPendingDeletion {
			return fmt.Errorf("%w: event data store %s is already pending deletion", ErrInactiveStore, s.ID)
		}
		now := l.now()
		s.Status = StatusPendingDeletion
		s.DeletedTimestamp = &now
		return nil
	})
}

// RestoreStore brings back a store that is pending deletion.
func (l *Lake) RestoreStore(ctx context.Context, ref string) (StoreInfo, error) {
	return l.modifyStore(ref, func(_ *bolt.Tx, s *StoreInfo) error {
		if s.Status != StatusPendingDeletion || s.DeletedTimestamp == nil {
			return fmt.Errorf("%w: event data store %s is %s, not PENDING_DELETION", ErrInvalidStatus, s.ID, s.Status)
		}
		deadline := s.DeletedTimestamp.Add(l.pendingDeletionWindow())
		if l.now().After(deadline) {
			return fmt.Errorf("%w: event data store %s was deleted on %s; its restore window ended on %s", ErrInvalidStatus, s.ID, s.DeletedTimestamp.Format(time.RFC3339), deadline.Format(time.RFC3339))
		}
		s.Status = StatusEnabled
		s.DeletedTimestamp = nil
		return nil
	})
}

// SetIngestion starts or stops ingestion into a store.
func (l *Lake) SetIngestion(ctx context.Context, ref string, on bool) (StoreInfo, error) {
	return l.modifyStore(ref, func(_ *bolt.Tx, s *StoreInfo) error {
		switch {
		case s.Status == StatusPendingDeletion:
			return fmt.Errorf("%w: event data store %s is pending deletion", ErrInactiveStore, s.ID)
		case on:
			s.Status = StatusEnabled
		default:
			s.Status = StatusStoppedIngestion
		}
		return nil
	})
}

func (l *Lake) modifyStore(ref string, fn func(*bolt.Tx, *StoreInfo) error) (StoreInfo, error) {
	var s StoreInfo
	err := l.db.Update(func(tx *bolt.Tx) error {
		var err error
		if s, err = findStore(tx, ref); err != nil {
			return err
		}
		before := s
		if err := fn(tx, &s); err != nil {
			return err
		}
		s.UpdatedTimestamp = l.now()
		if err := recordStoreChange(tx, before, s, s.UpdatedTimestamp); err != nil {
			return err
		}
		return putStore(tx, s)
	})
	return s, err
}

func putStore(tx *bolt.Tx, s StoreInfo) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketStores).Put([]byte(s.ID), data)
}

func allStores(tx *bolt.Tx) ([]StoreInfo, error) {
	var out []StoreInfo
	err := tx.Bucket(bucketStores).ForEach(func(k, v []byte) error {
		var s StoreInfo
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("%w: store record %s: %v", ErrCorrupt, k, err)
		}
		out = append(out, s)
		return nil
	})
	slices.SortFunc(out, func(a, b StoreInfo) int {
		if c := a.CreatedTimestamp.Compare(b.CreatedTimestamp); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// findStore resolves an ARN, an ID (any case) or a name.
func findStore(tx *bolt.Tx, ref string) (StoreInfo, error) {
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		i := strings.LastIndex(ref, ":eventdatastore/")
		if i < 0 {
			return StoreInfo{}, fmt.Errorf("%w: %q is not an event data store ARN (arn:aws:cloudtrail:REGION:ACCOUNT:eventdatastore/ID)", ErrInvalidARN, ref)
		}
		id = ref[i+len(":eventdatastore/"):]
	}
	if v := tx.Bucket(bucketStores).Get([]byte(strings.ToLower(id))); v != nil {
		var s StoreInfo
		if err := json.Unmarshal(v, &s); err != nil {
			return StoreInfo{}, fmt.Errorf("%w: store record %s: %v", ErrCorrupt, id, err)
		}
		if strings.HasPrefix(ref, "arn:") && s.ARN != ref {
			return StoreInfo{}, fmt.Errorf("%w: %s", ErrStoreNotFound, ref)
		}
		return s, nil
	}
	all, err := allStores(tx)
	if err != nil {
		return StoreInfo{}, err
	}
	for _, s := range all {
		if s.Name == ref {
			return s, nil
		}
	}
	return StoreInfo{}, fmt.Errorf("%w: %s", ErrStoreNotFound, ref)
}
