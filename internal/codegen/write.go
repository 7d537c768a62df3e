package codegen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

type outFile struct {
	Path string
	Data []byte
}

// writeAll writes every file, or, as far as the file system allows, none:
// each file is first written to a temporary file next to its target, and
// only when all of them are written are they renamed over their targets.
// On failure the temporary files, and the directories writeAll created, are
// removed, so a failure at the second package leaves the first one as it
// was.
func writeAll(files []outFile) (err error) {
	var tmps, dirs []string
	defer func() {
		for _, t := range tmps {
			os.Remove(t) // already renamed on success
		}
		if err != nil {
			for i := len(dirs) - 1; i >= 0; i-- {
				os.Remove(dirs[i]) // only when empty
			}
		}
	}()
	for _, f := range files {
		dir := filepath.Dir(f.Path)
		created, err := mkdirAll(dir)
		dirs = append(dirs, created...)
		if err != nil {
			return fmt.Errorf("crdtgen: write %s: %w", f.Path, err)
		}
		tmp, err := writeTemp(dir, f.Data)
		if tmp != "" {
			tmps = append(tmps, tmp)
		}
		if err != nil {
			return fmt.Errorf("crdtgen: write %s: %w", f.Path, err)
		}
	}
	for i, f := range files {
		if err := os.Rename(tmps[i], f.Path); err != nil {
			return fmt.Errorf("crdtgen: write %s: %w", f.Path, err)
		}
	}
	return nil
}

// mkdirAll is os.MkdirAll that returns the directories it created, outermost
// first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, os.ErrNotExist) || filepath.Dir(d) == d {
			break
		}
		missing = append([]string{d}, missing...)
	}
	return missing, os.MkdirAll(dir, 0o755)
}

// writeTemp writes data to a new temporary file in dir and returns its name
// (also on a failure after creating it, so the caller can remove it).
func writeTemp(dir string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, ".crdtgen-*")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return tmp.Name(), err
	}
	if err := tmp.Close(); err != nil {
		return tmp.Name(), err
	}
	return tmp.Name(), os.Chmod(tmp.Name(), 0o644)
}
