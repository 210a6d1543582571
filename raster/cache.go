package raster

import (
	"container/list"
	"sync"
)

// blockCache keeps recently decoded blocks up to a byte budget, least
// recently used first out. Concurrent requests for the same block wait for
// one decode instead of each decoding it.
type blockCache struct {
	mu      sync.Mutex
	budget  int64 // < 0: cache nothing
	used    int64
	lru     list.List // of *cacheEntry, most recent at the front
	entries map[int]*list.Element
	loading map[int]*pendingLoad
}

type cacheEntry struct {
	key int
	b   *block
}

type pendingLoad struct {
	done chan struct{}
	b    *block
	err  error
}

func newBlockCache(budget int64) *blockCache {
	return &blockCache{budget: budget, entries: map[int]*list.Element{}, loading: map[int]*pendingLoad{}}
}

// get returns block key, calling load to decode it when it is not cached.
func (c *blockCache) get(key int, load func() (*block, error)) (*block, error) {
	if c.budget < 0 {
		return load()
	}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e)
		b := e.Value.(*cacheEntry).b
		c.mu.Unlock()
		return b, nil
	}
	if p, ok := c.loading[key]; ok {
		c.mu.Unlock()
		<-p.done
		return p.b, p.err
	}
	p := &pendingLoad{done: make(chan struct{})}
	c.loading[key] = p
	c.mu.Unlock()

	p.b, p.err = load()

	c.mu.Lock()
	delete(c.loading, key)
	if p.err == nil {
		c.add(key, p.b)
	}
	c.mu.Unlock()
	close(p.done)
	return p.b, p.err
}

// add stores b, evicting old blocks to stay within the budget. A block
// larger than the whole budget is not stored. c.mu must be held.
func (c *blockCache) add(key int, b *block) {
	size := int64(len(b.data))
	if size > c.budget {
		return
	}
	for c.used+size > c.budget {
		e := c.lru.Back()
		old := e.Value.(*cacheEntry)
		c.lru.Remove(e)
		delete(c.entries, old.key)
		c.used -= int64(len(old.b.data))
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry{key, b})
	c.used += size
}

// reset drops every block.
func (c *blockCache) reset() {
	c.mu.Lock()
	c.lru.Init()
	clear(c.entries)
	c.used = 0
	c.mu.Unlock()
}
