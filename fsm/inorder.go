package fsm

import (
	"runtime"
	"sync"
)

// inOrder runs work over each chunk next yields, on every core, and hands
// the chunks to use in the order next yielded them. next reports false
// when there are no more. Once use returns an error no more chunks are
// taken, and inOrder returns that error when the chunks under way are done.
//
// Snapshots use it: encoding and decoding records is most of their time,
// while writing them out and inserting them into the state must keep
// their order.
func inOrder[C any](next func() (C, bool), work func(C), use func(C) error) error {
	workers := runtime.GOMAXPROCS(0)
	type slot struct {
		chunk C
		done  chan struct{}
	}
	ordered := make(chan *slot, 2*workers)
	tasks := make(chan *slot, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range tasks {
				work(s.chunk)
				close(s.done)
			}
		}()
	}
	go func() {
		defer close(ordered)
		defer close(tasks)
		for {
			c, ok := next()
			if !ok {
				return
			}
			s := &slot{chunk: c, done: make(chan struct{})}
			select {
			case ordered <- s:
			case <-stop:
				return
			}
			tasks <- s
		}
	}()
	var firstErr error
	for s := range ordered {
		<-s.done
		if firstErr != nil {
			continue
		}
		if firstErr = use(s.chunk); firstErr != nil {
			close(stop)
		}
	}
	wg.Wait()
	return firstErr
}
