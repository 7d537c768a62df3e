package swim

// names interns member names into dense ids. Each Node has its own, except
// in a Sim, where all nodes share one so that a member table entry costs a
// few bytes: a 10,000-member simulation holds 10^8 of them. Not safe for
// concurrent use on its own: a Node guards its table with its lock, and a
// Sim runs single-threaded.
type names struct {
	ids  map[string]uint32
	list []string
}

func newNames() *names { return &names{ids: make(map[string]uint32)} }

func (t *names) id(name string) uint32 {
	if id, ok := t.ids[name]; ok {
		return id
	}
	id := uint32(len(t.list))
	t.ids[name] = id
	t.list = append(t.list, name)
	return id
}

func (t *names) lookup(name string) (uint32, bool) {
	id, ok := t.ids[name]
	return id, ok
}

func (t *names) name(id uint32) string { return t.list[id] }
