package serve

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// pool bounds the work in flight. A request first takes an admission slot
// (Workers+QueueSize of them, taken without waiting: none free means 503),
// before its upload is read, so at most that many decoded images are held
// at once; then it waits for one of Workers worker slots to run the job.
type pool struct {
	slots   chan struct{} // admission: cap workers+queue
	workers chan struct{} // execution: cap workers
	waiting atomic.Int64  // waiting for a worker (the queue length)
	busy    atomic.Int64  // running

	mu      sync.Mutex
	avgSecs float64 // moving average of job duration, for Retry-After
}

func newPool(workers, queue int) *pool {
	return &pool{
		slots:   make(chan struct{}, workers+queue),
		workers: make(chan struct{}, workers),
	}
}

// admit takes an admission slot if one is free. The caller must call the
// returned release exactly once.
func (p *pool) admit() (release func(), ok bool) {
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, true
	default:
		return nil, false
	}
}

// run waits for a worker (counting as queued meanwhile) and runs job on it.
// The caller holds an admission slot. It returns ctx.Err() if ctx ends
// before a worker is free.
func (p *pool) run(ctx context.Context, job func()) error {
	p.waiting.Add(1)
	select {
	case p.workers <- struct{}{}:
		p.waiting.Add(-1)
	case <-ctx.Done():
		p.waiting.Add(-1)
		return ctx.Err()
	}
	p.busy.Add(1)
	start := time.Now()
	defer func() {
		p.observe(time.Since(start))
		p.busy.Add(-1)
		<-p.workers
	}()
	job()
	return nil
}

func (p *pool) observe(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	const alpha = 0.2
	if p.avgSecs == 0 {
		p.avgSecs = d.Seconds()
	} else {
		p.avgSecs += alpha * (d.Seconds() - p.avgSecs)
	}
}

// retryAfter estimates, in whole seconds, when a slot will be free: the
// time to drain the work admitted, at the average job duration, clamped to
// [1, 60] seconds.
func (p *pool) retryAfter() int {
	p.mu.Lock()
	avg := p.avgSecs
	p.mu.Unlock()
	workers := float64(cap(p.workers))
	inFlight := float64(len(p.slots))
	secs := math.Ceil(avg * inFlight / workers)
	return int(min(max(secs, 1), 60))
}
