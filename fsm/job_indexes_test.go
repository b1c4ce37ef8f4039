package fsm

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

func TestJobCreateIndexKeysSortLikeTheIndexes(t *testing.T) {
	key := func(v uint64) []byte {
		ok, k, err := jobCreateIndex{}.FromObject(&Job{CreateIndex: v})
		if !ok || err != nil {
			t.Fatalf("%d: %v %v", v, ok, err)
		}
		return k
	}
	values := []uint64{0, 1, 15, 16, 255, 256, 4095, 4096, 1 << 32, math.MaxUint64 - 1, math.MaxUint64}
	for range 1000 {
		values = append(values, rand.Uint64(), rand.Uint64N(1<<20))
	}
	for _, a := range values {
		for _, b := range values[:20] {
			if got, want := bytes.Compare(key(a), key(b)), cmpUint(a, b); got != want {
				t.Fatalf("keys of %d and %d compare %d, the indexes %d", a, b, got, want)
			}
		}
	}
	if args, err := (jobCreateIndex{}).FromArgs(uint64(4096)); err != nil || !bytes.Equal(args, key(4096)) {
		t.Fatalf("FromArgs: %q %v", args, err)
	}
}
