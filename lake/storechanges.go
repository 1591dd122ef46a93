package lake

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// Every change of a store is recorded in its history, in the control-plane
// namespace "store-changes" under "<store ID>/<ULID>", so keys sort by store
// and then by time. Store changes are recorded in the transaction that makes
// them; maintenance (segments expired by retention, the purge) records what
// it did after doing it. A store's history outlives its purge.

const nsStoreChanges = "store-changes"

// Store change actions.
const (
	ChangeCreate         = "CreateEventDataStore"
	ChangeUpdate         = "UpdateEventDataStore"
	ChangeDelete         = "DeleteEventDataStore"
	ChangeRestore        = "RestoreEventDataStore"
	ChangeStartIngestion = "StartEventDataStoreIngestion"
	ChangeStopIngestion  = "StopEventDataStoreIngestion"
	ChangeRetention      = "Retention"
	ChangePurge          = "Purge"
)

// StoreChange is one change of a store.
type StoreChange struct {
	Time    time.Time         `json:"time"`
	Store   string            `json:"store"`
	Action  string            `json:"action"`
	Status  Status            `json:"status,omitempty"`  // the status after the change
	Changes map[string]string `json:"changes,omitempty"` // field -> "old -> new"
	Detail  string            `json:"detail,omitempty"`
}

// RecordStoreChange appends e to its store's history.
func (l *Lake) RecordStoreChange(e StoreChange) error {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	return l.db.Update(func(tx *bolt.Tx) error { return putStoreChange(tx, e) })
}

func putStoreChange(tx *bolt.Tx, e StoreChange) error {
	key := e.Store + "/" + ulid.MustNew(ulid.Timestamp(e.Time), ulid.DefaultEntropy()).String()
	return Control{tx}.Put(nsStoreChanges, key, e)
}

// StoreChanges returns the store's history, oldest first. It reads the history
// of a purged store too (by ID).
func (l *Lake) StoreChanges(storeID string) ([]StoreChange, error) {
	var out []StoreChange
	prefix := storeID + "/"
	err := l.ControlView(func(c Control) error {
		return c.Scan(nsStoreChanges, prefix, func(key string, data []byte) (bool, error) {
			if len(key) < len(prefix) || key[:len(prefix)] != prefix {
				return false, nil
			}
			var e StoreChange
			if err := json.Unmarshal(data, &e); err != nil {
				return false, fmt.Errorf("%w: store change record %s: %v", ErrCorrupt, key, err)
			}
			out = append(out, e)
			return true, nil
		})
	})
	return out, err
}

// recordStoreChange records the change from before to after in the same
// transaction; before has an empty ID for a new store. Nothing is recorded
// when nothing changed.
func recordStoreChange(tx *bolt.Tx, before, after StoreInfo, now time.Time) error {
	e := StoreChange{Time: now, Store: after.ID, Status: after.Status, Changes: storeDiff(before, after)}
	switch {
	case before.ID == "":
		e.Action, e.Changes = ChangeCreate, nil
	case before.Status != StatusPendingDeletion && after.Status == StatusPendingDeletion:
		e.Action = ChangeDelete
	case before.Status == StatusPendingDeletion && after.Status != StatusPendingDeletion:
		e.Action = ChangeRestore
	case before.Status == StatusStoppedIngestion && after.Status == StatusEnabled:
		e.Action = ChangeStartIngestion
	case before.Status == StatusEnabled && after.Status == StatusStoppedIngestion:
		e.Action = ChangeStopIngestion
	case len(e.Changes) == 0:
		return nil
	default:
		e.Action = ChangeUpdate
	}
	return putStoreChange(tx, e)
}

// storeDiff lists the settings that differ between a and b.
func storeDiff(a, b StoreInfo) map[string]string {
	out := map[string]string{}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		f := va.Type().Field(i)
		switch f.Name {
		case "UpdatedTimestamp", "DeletedTimestamp", "CreatedTimestamp":
			continue
		}
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if reflect.DeepEqual(x, y) {
			continue
		}
		name, _, _ := cutComma(f.Tag.Get("json"))
		out[name] = render(x) + " -> " + render(y)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func cutComma(s string) (string, string, bool) {
	if i := slices.Index([]byte(s), ','); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case Status:
		return string(x)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
