package swim

// names interns member names into dense ids. Each Node has its own, except
// in a Sim, where all nodes share one so that a member table entry costs a
// few bytes: a 10,000-member simulation holds 10^8 of them. A Node releases
// the id of a name it no longer refers to (see Node.releaseName) and the
// next new name takes it: ids stay dense and the table holds only the names
// of members the node knows and of recent broadcast origins. Ids are local
// to the node, never sent. Not safe for concurrent use on its own: a Node
// guards its table with its lock, and a Sim runs single-threaded.
type names struct {
	ids  map[string]uint32
	list []string
	free []uint32 // released ids, reused first
}

func newNames() *names { return &names{ids: make(map[string]uint32)} }

func (t *names) id(name string) uint32 {
	if id, ok := t.ids[name]; ok {
		return id
	}
	var id uint32
	if k := len(t.free); k > 0 {
		id = t.free[k-1]
		t.free = t.free[:k-1]
		t.list[id] = name
	} else {
		id = uint32(len(t.list))
		t.list = append(t.list, name)
	}
	t.ids[name] = id
	return id
}

func (t *names) lookup(name string) (uint32, bool) {
	id, ok := t.ids[name]
	return id, ok
}

func (t *names) name(id uint32) string { return t.list[id] }

// release forgets id's name; the id goes to the next new name.
func (t *names) release(id uint32) {
	delete(t.ids, t.list[id])
	t.list[id] = ""
	t.free = append(t.free, id)
}

// len is the number of names held.
func (t *names) len() int { return len(t.ids) }
