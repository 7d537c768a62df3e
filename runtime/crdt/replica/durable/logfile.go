package durable

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/internal/recfile"
)

// A log file starts with a magic header and holds records whose sequence
// numbers follow each other from the number in its name (20 decimal digits,
// so names sort in log order). Only the newest file is appended to.
const (
	logPrefix = "crdt-"
	logExt    = ".log"
	logMagic  = "DWCRDTL\n"
)

func logName(first uint64) string { return fmt.Sprintf("%s%020d%s", logPrefix, first, logExt) }

// listLogs returns the first sequence numbers named by the log files in dir,
// sorted.
func listLogs(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("durable: list %s: %w", dir, err)
	}
	var firsts []uint64
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasPrefix(name, logPrefix) || !strings.HasSuffix(name, logExt) {
			continue
		}
		digits := strings.TrimSuffix(strings.TrimPrefix(name, logPrefix), logExt)
		n, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || len(digits) != 20 || n == 0 {
			return nil, corruptf(filepath.Join(dir, name), 0, "log file name does not carry a 20-digit first sequence number")
		}
		firsts = append(firsts, n)
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	return firsts, nil
}

// createLog creates, syncs and announces (directory fsync) an empty log
// file for records from first on.
func createLog(dir string, first uint64) (*os.File, error) {
	path := filepath.Join(dir, logName(first))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("durable: create log %s: %w", path, err)
	}
	if _, err := f.Write([]byte(logMagic)); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = recfile.SyncDir(dir)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("durable: create log %s: %w", path, err)
	}
	return f, nil
}

// scanResult is what reading one log file found.
type scanResult struct {
	next  uint64 // sequence number after the last good record
	good  int    // bytes of the file that are intact (truncate a torn tail here)
	torn  string // why the tail was torn, "" when it was not
	count int    // records read
}

// scanLog checks data, the contents of the log file at path whose first
// record must carry sequence number first, and hands every record's delta to
// apply in order. When last is set, a record torn by a crash at the end is
// reported in the result (and not applied); everywhere else a bad record is
// a *CorruptError. apply's errors are returned as corruption of that record.
func scanLog(path string, data []byte, first uint64, last bool, apply func(d *replicawire.Delta) error) (scanResult, error) {
	r := scanResult{next: first}
	if len(data) < len(logMagic) || string(data[:len(logMagic)]) != logMagic {
		torn := len(data) < len(logMagic) && string(data) == logMagic[:len(data)] || recfile.AllZero(data)
		if !last || !torn {
			return r, corruptf(path, 0, "bad log header %q", data[:min(len(data), len(logMagic))])
		}
		r.torn = "torn log header"
		return r, nil
	}
	off := len(logMagic)
	r.good = off
	for off < len(data) {
		payload, end, st := recfile.Read(data, off)
		if st != recfile.OK {
			if last && recfile.Torn(data, off, end, st) {
				r.torn = st.String()
				return r, nil
			}
			return r, corruptf(path, int64(off), "%v (not at the end of the log)", st)
		}
		var d replicawire.Delta
		if err := d.UnmarshalBinary(payload); err != nil {
			return r, corruptf(path, int64(off), "decode delta record: %v", err)
		}
		if d.Seq != r.next {
			return r, corruptf(path, int64(off), "record has sequence number %d, want %d", d.Seq, r.next)
		}
		if err := apply(&d); err != nil {
			return r, corruptf(path, int64(off), "replay delta %d: %v", d.Seq, err)
		}
		r.next++
		r.count++
		off = end
		r.good = off
	}
	return r, nil
}
