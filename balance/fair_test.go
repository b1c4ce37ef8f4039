package balance

import (
	"reflect"
	"testing"

	"github.com/genie-cluster/genie/fsm"
)

func queued(user string, creates ...uint64) []*fsm.Job {
	var out []*fsm.Job
	for _, c := range creates {
		out = append(out, &fsm.Job{ID: user + "-" + string(rune('0'+c%10)) + string(rune('a'+c/10)), CreateIndex: c, Request: fsm.JobRequest{User: user}})
	}
	return out
}

func ids(jobs []*fsm.Job) []uint64 {
	var out []uint64
	for _, j := range jobs {
		out = append(out, j.CreateIndex)
	}
	return out
}

func TestFairQueueServesTheUserWithFewestRunningFirst(t *testing.T) {
	// alice queued 1..5 first and runs 2 already; bob queued 6 and 7 and
	// runs none; carol queued 8 and runs 3.
	q := NewFairQueue([]fsm.QueueLine{
		{User: "alice", Running: 2, Jobs: queued("alice", 1, 2, 3, 4, 5)},
		{User: "bob", Running: 0, Jobs: queued("bob", 6, 7)},
		{User: "carol", Running: 3, Jobs: queued("carol", 8)},
	})
	// bob until he runs 2 like alice; then alice, and on the tie at 3 the
	// older head (alice's 2 before carol's 8); carol once alice runs 4.
	want := []uint64{6, 7, 1, 2, 8, 3, 4, 5}
	if got := ids(q.Order()); !reflect.DeepEqual(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestFairQueueOneJobIsNotStarvedByAThousand(t *testing.T) {
	var many []uint64
	for i := uint64(1); i <= 1000; i++ {
		many = append(many, i)
	}
	q := NewFairQueue([]fsm.QueueLine{
		{User: "batch", Jobs: queued("batch", many...)},
		{User: "analyst", Jobs: queued("analyst", 1001)},
	})
	order := ids(q.Order())
	if order[0] != 1 || order[1] != 1001 {
		t.Fatalf("first two %v: the lone job should go second", order[:2])
	}
}

func TestFairQueueSkipKeepsAUsersOrder(t *testing.T) {
	q := NewFairQueue([]fsm.QueueLine{
		{User: "alice", Jobs: queued("alice", 1, 2)},
		{User: "bob", Jobs: queued("bob", 3)},
	})
	if j := q.Peek(); j.CreateIndex != 1 {
		t.Fatalf("first %d", j.CreateIndex)
	}
	// alice's head fits nowhere: none of her jobs may pass it.
	q.Skip()
	if j := q.Peek(); j.CreateIndex != 3 {
		t.Fatalf("after skip %d", j.CreateIndex)
	}
	q.Take()
	if q.Peek() != nil {
		t.Fatal("alice's second job overtook her first")
	}
}
