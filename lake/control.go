package lake

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	bolt "go.etcd.io/bbolt"
)

// Control-plane records other than stores (queries, channels, access keys,
// tags, imports, ...) live in the same bbolt file as the stores, each kind in
// its own namespace: a bbolt bucket named "ctl/<namespace>". A namespace
// belongs to the package that writes it; lake only keeps the file.
//
// Update runs fn in one read-write transaction and View in a read-only one;
// both see every namespace through the Control value they get, so a caller
// can read and change several kinds of record atomically (a query's record
// and the account's running-query count, say).

// ErrNoRecord is returned by Control.Get for a key that is not there.
var ErrNoRecord = errors.New("no such record")

var namespaceRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// Control is one transaction over the control-plane namespaces. It is valid
// only inside the function given to ControlUpdate or ControlView.
type Control struct {
	tx *bolt.Tx
}

// ControlUpdate runs fn in a read-write transaction, committed (and synced)
// when fn returns nil and rolled back otherwise.
func (l *Lake) ControlUpdate(fn func(c Control) error) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error { return fn(Control{tx}) })
}

// ControlView runs fn in a read-only transaction.
func (l *Lake) ControlView(fn func(c Control) error) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	return l.db.View(func(tx *bolt.Tx) error { return fn(Control{tx}) })
}

// Bucket is the namespace's bbolt bucket, created on first use in a
// read-write transaction. In a read-only transaction a namespace never
// written is nil.
func (c Control) Bucket(namespace string) (*bolt.Bucket, error) {
	if !namespaceRE.MatchString(namespace) {
		return nil, fmt.Errorf("control-plane namespace %q: want lower-case letters, digits and dashes", namespace)
	}
	name := []byte("ctl/" + namespace)
	if !c.tx.Writable() {
		return c.tx.Bucket(name), nil
	}
	return c.tx.CreateBucketIfNotExists(name)
}

// Put stores v as JSON under key.
func (c Control) Put(namespace, key string, v any) error {
	b, err := c.Bucket(namespace)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("control-plane record %s/%s: %w", namespace, key, err)
	}
	return b.Put([]byte(key), data)
}

// Get decodes the JSON record under key into v; ErrNoRecord if there is none.
func (c Control) Get(namespace, key string, v any) error {
	b, err := c.Bucket(namespace)
	if err != nil {
		return err
	}
	var data []byte
	if b != nil {
		data = b.Get([]byte(key))
	}
	if data == nil {
		return fmt.Errorf("%w: %s/%s", ErrNoRecord, namespace, key)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: control-plane record %s/%s: %v", ErrCorrupt, namespace, key, err)
	}
	return nil
}

// Delete removes the record under key; removing a missing key is not an
// error.
func (c Control) Delete(namespace, key string) error {
	b, err := c.Bucket(namespace)
	if err != nil || b == nil {
		return err
	}
	return b.Delete([]byte(key))
}

// Scan calls fn with each key at or after from, in key order, and the raw
// JSON of its record, until fn returns false or an error. The bytes are
// valid only during the call.
func (c Control) Scan(namespace, from string, fn func(key string, data []byte) (bool, error)) error {
	b, err := c.Bucket(namespace)
	if err != nil || b == nil {
		return err
	}
	cur := b.Cursor()
	for k, v := cur.Seek([]byte(from)); k != nil; k, v = cur.Next() {
		more, err := fn(string(k), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}
