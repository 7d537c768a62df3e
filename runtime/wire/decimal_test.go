package wire

import (
	"bytes"
	"math"
	"strconv"
	"testing"
)

func TestAppendUintIntMatchStrconv(t *testing.T) {
	uints := []uint64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 99999, 100000, 1<<32 - 1, 1 << 32, math.MaxUint64 - 1, math.MaxUint64}
	for p := uint64(1); p < math.MaxUint64/10; p *= 10 {
		uints = append(uints, p-1, p, p+1)
	}
	for _, v := range uints {
		if got, want := UintLen(v), len(strconv.FormatUint(v, 10)); got != want {
			t.Fatalf("UintLen(%d) = %d, want %d", v, got, want)
		}
		if got, want := IntLen(-int64(v)), len(strconv.FormatInt(-int64(v), 10)); got != want {
			t.Fatalf("IntLen(%d) = %d, want %d", -int64(v), got, want)
		}
		if got, want := AppendUint([]byte("x"), v), strconv.AppendUint([]byte("x"), v, 10); !bytes.Equal(got, want) {
			t.Fatalf("AppendUint(%d) = %s, want %s", v, got, want)
		}
		for _, s := range []int64{int64(v), -int64(v)} {
			if got, want := AppendInt([]byte("x"), s), strconv.AppendInt([]byte("x"), s, 10); !bytes.Equal(got, want) {
				t.Fatalf("AppendInt(%d) = %s, want %s", s, got, want)
			}
		}
	}
	for _, s := range []int64{math.MinInt64, math.MinInt64 + 1, math.MaxInt64, -1, -9, -10} {
		if got, want := AppendInt(nil, s), strconv.AppendInt(nil, s, 10); !bytes.Equal(got, want) {
			t.Fatalf("AppendInt(%d) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendUintInt(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(math.MaxUint64))
	f.Add(uint64(1 << 63))
	f.Fuzz(func(t *testing.T, v uint64) {
		if got, want := AppendUint(nil, v), strconv.AppendUint(nil, v, 10); !bytes.Equal(got, want) {
			t.Fatalf("AppendUint(%d) = %s, want %s", v, got, want)
		}
		if got, want := UintLen(v), len(strconv.FormatUint(v, 10)); got != want {
			t.Fatalf("UintLen(%d) = %d, want %d", v, got, want)
		}
		if got, want := AppendInt(nil, int64(v)), strconv.AppendInt(nil, int64(v), 10); !bytes.Equal(got, want) {
			t.Fatalf("AppendInt(%d) = %s, want %s", int64(v), got, want)
		}
	})
}
