package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool behind Parallel.
//
// A training step forks and joins a few thousand times, and waking a
// parked worker costs 20–200 µs (the OS thread sleeps in a futex), which
// both delays the worker's part and leaves the caller waiting at the end.
// So a worker that finishes a part stays awake for spinFor, polling its
// own slot, before it parks on workCh; Parallel hands parts to awake
// workers through their slots first. A part placed in a slot is run by
// exactly one of the worker and the caller: after its own part the caller
// takes back any part still in a slot (compare-and-swap on both sides), so
// a worker that gives up at the wrong moment cannot strand it. OpenMP
// runtimes (PyTorch's included) spin the same way.

// spinFor is how long an idle worker polls before parking.
const spinFor = 100 * time.Microsecond

const maxWorkers = 64

// A task is one part of a Parallel call.
type task struct {
	fn   func(part int)
	part int
	wg   *sync.WaitGroup
}

func (t *task) run() {
	t.fn(t.part)
	t.wg.Done()
}

// A poolWorker is a persistent goroutine; slot receives a task while the
// worker spins (awake is set).
type poolWorker struct {
	slot  atomic.Pointer[task]
	awake atomic.Bool
}

var (
	workCh     = make(chan *task)
	workersMu  sync.Mutex
	numWorkers atomic.Int32 // written under workersMu
	workers    [maxWorkers]poolWorker
)

// Parallel calls fn(0), …, fn(parts-1), each on its own goroutine of a
// small persistent pool (fn(0) on the caller's), and returns when all have
// returned. It never blocks waiting for a busy worker: when none is idle,
// the part runs on a new goroutine, so nested or concurrent calls cannot
// deadlock.
func Parallel(parts int, fn func(part int)) {
	if parts <= 1 {
		if parts == 1 {
			fn(0)
		}
		return
	}
	ensureWorkers(parts - 1)
	var wg sync.WaitGroup
	wg.Add(parts - 1)
	tasks := make([]task, parts-1)
	var placed [maxWorkers]int // worker w holds tasks[placed[w]-1]
	next := 0                  // the next worker to try
	for t := 1; t < parts; t++ {
		tk := &tasks[t-1]
		*tk = task{fn: fn, part: t, wg: &wg}
		handed := false
		for ; next < int(numWorkers.Load()) && !handed; next++ {
			w := &workers[next]
			if w.awake.Load() && w.slot.CompareAndSwap(nil, tk) {
				placed[next] = t
				handed = true
			}
		}
		if handed {
			continue
		}
		select {
		case workCh <- tk:
		default:
			go tk.run()
		}
	}
	fn(0)
	for w := range next {
		if placed[w] != 0 {
			if tk := &tasks[placed[w]-1]; workers[w].slot.CompareAndSwap(tk, nil) {
				tk.run() // the worker did not take it
			}
		}
	}
	wg.Wait()
}

// ensureWorkers starts pool workers until there are at least n (capped).
func ensureWorkers(n int) {
	n = min(n, maxWorkers)
	workersMu.Lock()
	for w := int(numWorkers.Load()); w < n; w++ {
		go work(&workers[w])
		numWorkers.Store(int32(w + 1))
	}
	workersMu.Unlock()
}

// work is a pool worker's loop: run a part, spin on the slot for a while,
// then park on workCh.
func work(w *poolWorker) {
	for tk := range workCh {
		tk.run()
		for w.spin() {
		}
	}
}

// spin polls w's slot for up to spinFor and runs what arrives; it reports
// whether it ran a part (so the caller spins again).
func (w *poolWorker) spin() bool {
	w.awake.Store(true)
	start := time.Now()
	for i := 0; ; i++ {
		if tk := w.slot.Load(); tk != nil && w.slot.CompareAndSwap(tk, nil) {
			w.awake.Store(false)
			tk.run()
			return true
		}
		if i%64 == 63 {
			if time.Since(start) > spinFor {
				break
			}
			runtime.Gosched()
		}
	}
	w.awake.Store(false)
	// A part placed just before awake was cleared is still run here (or
	// taken back by its caller, whichever comes first).
	if tk := w.slot.Load(); tk != nil && w.slot.CompareAndSwap(tk, nil) {
		tk.run()
		return true
	}
	return false
}
