package crdt

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDotListKeepsOrder(t *testing.T) {
	a, b, c := Dot{"a", 1}, Dot{"b", 2}, Dot{"c", 3}
	tests := []struct {
		name   string
		add    []Dot
		remove []Dot
		want   []Dot
	}{
		{"empty", nil, nil, []Dot{}},
		{"one inline", []Dot{a}, nil, []Dot{a}},
		{"remove only", []Dot{a}, []Dot{a}, []Dot{}},
		{"remove first promotes next", []Dot{a, b, c}, []Dot{a}, []Dot{b, c}},
		{"remove middle", []Dot{a, b, c}, []Dot{b}, []Dot{a, c}},
		{"remove last", []Dot{a, b, c}, []Dot{c}, []Dot{a, b}},
		{"remove absent", []Dot{a, b}, []Dot{c}, []Dot{a, b}},
		{"remove all", []Dot{a, b, c}, []Dot{b, a, c}, []Dot{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l dotList
			for _, d := range tt.add {
				l.add(d)
			}
			for _, d := range tt.remove {
				l.remove(d)
			}
			require.Equal(t, tt.want, append([]Dot{}, l.slice()...))
			require.Equal(t, len(tt.want), l.len())
			c := l.clone()
			l.add(Dot{"z", 9})
			require.Equal(t, tt.want, append([]Dot{}, c.slice()...), "clone shares storage")
			require.Equal(t, tt.want, append([]Dot{}, slices.Collect(c.all)...))
		})
	}
}
