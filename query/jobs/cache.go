package jobs

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// resultCache keeps result files in memory, keyed by their bucket key, the
// least recently used dropped first once the files exceed max bytes. The
// bucket holds the results; the cache holds copies of some of them (files
// never change once written) so that GetQueryResults does not read a whole
// file from the bucket for each page of it. A nil *resultCache keeps
// nothing. It is safe for concurrent use.
type resultCache struct {
	max int64

	mu    sync.Mutex
	size  int64
	order *list.List               // of *cachedFile, most recently used first
	files map[string]*list.Element // by key
}

type cachedFile struct {
	key  string
	data []byte
}

func newResultCache(max int64) *resultCache {
	if max <= 0 {
		return nil
	}
	return &resultCache{max: max, order: list.New(), files: map[string]*list.Element{}}
}

// get returns the cached file key.
func (c *resultCache) get(key string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.files[key]
	if e == nil {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cachedFile).data, true
}

// put keeps data as file key; the caller must not change data afterwards.
// A file larger than the whole cache is not kept. Files count with their
// capacity, which is what they hold on to; data with much more capacity
// than length is copied first.
func (c *resultCache) put(key string, data []byte) {
	if c == nil || int64(len(data)) > c.max {
		return
	}
	if cap(data)-len(data) > len(data)/4 {
		data = append(make([]byte, 0, len(data)), data...)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.files[key]; e != nil {
		c.remove(e)
	}
	c.files[key] = c.order.PushFront(&cachedFile{key: key, data: data})
	c.size += int64(cap(data))
	for c.size > c.max {
		c.remove(c.order.Back())
	}
}

// forget drops the files of a query's n result files.
func (c *resultCache) forget(id string, n int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 1; i <= n; i++ {
		if e := c.files[partKey(id, i)]; e != nil {
			c.remove(e)
		}
	}
}

func (c *resultCache) remove(e *list.Element) {
	f := c.order.Remove(e).(*cachedFile)
	delete(c.files, f.key)
	c.size -= int64(cap(f.data))
}

// readResultFile returns result file n (from 1) of query id: from the cache,
// else from the bucket, and then keeps it in the cache.
func (m *Manager) readResultFile(ctx context.Context, id string, n int) ([]byte, error) {
	key := partKey(id, n)
	if data, ok := m.cache.get(key); ok {
		return data, nil
	}
	data, err := m.l.Bucket().ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read results of query %s: %w", id, err)
	}
	m.cache.put(key, data)
	return data, nil
}
