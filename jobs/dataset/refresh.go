package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// keyCandidates is how many leading columns are watched for the default key
// (the first whose values are unique and non-empty): watching every column of
// a million-row file would hold all of it in memory.
const keyCandidates = 4

// rowKeys identifies a version's rows by the key column and, for a refresh,
// pairs them with the rows of the current version. Rows are compared on the
// key and the mapped cells (every cell when nothing is mapped yet).
type rowKeys struct {
	key      string // the key column; "" while undecided or by position
	keyIdx   int    // -1: rows are identified by position
	byPos    bool
	refresh  bool
	compare  []string // column names compared between versions, sorted
	newIdx   map[string]int
	old      map[string]oldRow
	seen     map[string]int64
	watch    []*keyWatch // first version without a named key
	counts   jobs.RefreshCounts
	previous int // the current version's number
}

type oldRow struct {
	num  int64
	hash uint64
	used bool
}

type keyWatch struct {
	col    int
	values map[string]struct{}
	ok     bool
}

// templateKeys is what the importer needs of the job's template.
type templateKeys struct {
	Key     string                     `json:"key"`
	Columns map[string]json.RawMessage `json:"columns"`
}

// newRowKeys decides how the rows of version d (with the given header) are
// keyed: the template's key, else the current version's key, else (first
// version) the first unique, non-empty column.
func newRowKeys(ctx context.Context, st *store.Store, d *jobs.Dataset, header []string) (*rowKeys, error) {
	k := &rowKeys{keyIdx: -1, newIdx: make(map[string]int, len(header)), seen: map[string]int64{}}
	for i, h := range header {
		k.newIdx[h] = i
	}
	job, err := st.Job(ctx, d.JobID)
	if err != nil {
		return nil, err
	}
	var tk templateKeys
	if len(job.Template) > 0 {
		_ = json.Unmarshal(job.Template, &tk)
	}
	current, err := st.DatasetOfJob(ctx, d.JobID)
	if err != nil && jobs.ErrorCode(err) != jobs.ENOTFOUND {
		return nil, err
	}
	k.refresh = current != nil && current.ID != d.ID && current.Status == jobs.DatasetImported
	k.key = tk.Key
	if k.key == "" && k.refresh {
		k.key = current.KeyColumn
	}
	if k.key != "" {
		i, ok := k.newIdx[k.key]
		if !ok {
			return nil, &InputError{Problem: fmt.Sprintf("the key column %q is not in the file, so its rows cannot be matched to the current version's; name the column as before, or set another \"key\" in the mapping", k.key)}
		}
		k.keyIdx = i
	}
	if !k.refresh {
		if k.keyIdx < 0 {
			for i := range min(keyCandidates, len(header)) {
				k.watch = append(k.watch, &keyWatch{col: i, values: map[string]struct{}{}, ok: true})
			}
		}
		return k, nil
	}
	k.previous = current.Version
	k.byPos = k.keyIdx < 0
	for name := range tk.Columns {
		k.compare = append(k.compare, name)
	}
	if len(k.compare) == 0 {
		k.compare = append(slices.Clone(current.Columns), header...)
	}
	if k.key != "" {
		k.compare = append(k.compare, k.key)
	}
	sort.Strings(k.compare)
	k.compare = slices.Compact(k.compare)
	oldIdx := make(map[string]int, len(current.Columns))
	for i, h := range current.Columns {
		oldIdx[h] = i
	}
	oldKey := -1
	if k.key != "" {
		var ok bool
		if oldKey, ok = oldIdx[k.key]; !ok {
			return nil, &InputError{Problem: fmt.Sprintf("the current version has no column %q to match rows by; name the key column the template had", k.key)}
		}
	}
	k.old = make(map[string]oldRow, current.RowCount)
	for after := int64(0); ; {
		rows, err := st.Rows(ctx, current.ID, after, 5000)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			key := strconv.FormatInt(r.Num, 10)
			if oldKey >= 0 {
				key = cell(r.Cells, oldKey)
			}
			k.old[key] = oldRow{num: r.Num, hash: k.hash(r.Cells, oldIdx)}
		}
		after = rows[len(rows)-1].Num
	}
	return k, nil
}

func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return cells[i]
}

// hash digests the compared cells of a row, by column name, so a version
// whose columns moved compares equal.
func (k *rowKeys) hash(cells []string, idx map[string]int) uint64 {
	h := fnv.New64a()
	for _, name := range k.compare {
		h.Write([]byte(name))
		if i, ok := idx[name]; ok && i < len(cells) {
			h.Write([]byte{0})
			h.Write([]byte(cells[i]))
		} else {
			h.Write([]byte{1}) // no such column: differs from any value
		}
		h.Write([]byte{0xff})
	}
	return h.Sum64()
}

// add keys row r (numbered from 1 in the new file) and, in a refresh, says
// how it relates to the current version.
func (k *rowKeys) add(r *jobs.Row) error {
	for _, w := range k.watch {
		if !w.ok {
			continue
		}
		v := cell(r.Cells, w.col)
		if _, dup := w.values[v]; dup || v == "" {
			w.ok, w.values = false, nil
			continue
		}
		w.values[v] = struct{}{}
	}
	key := strconv.FormatInt(r.Num, 10)
	if k.keyIdx >= 0 {
		key = cell(r.Cells, k.keyIdx)
		if key == "" {
			return &InputError{Row: r.Num, Column: k.keyIdx + 1, Name: k.key, Problem: "the key column is empty; every row needs a key to be recognised in the next version"}
		}
		if prev, dup := k.seen[key]; dup {
			return &InputError{Row: r.Num, Column: k.keyIdx + 1, Name: k.key, Problem: fmt.Sprintf("the key %q is on row %d too; keys must be unique", key, prev)}
		}
		k.seen[key] = r.Num
	}
	if !k.refresh {
		return nil
	}
	o, ok := k.old[key]
	switch {
	case !ok:
		r.Change, r.Prev = jobs.RowAdded, 0
		k.counts.Added++
	case o.hash == k.hash(r.Cells, k.newIdx):
		r.Change, r.Prev = jobs.RowKept, o.num
		k.counts.Kept++
	default:
		r.Change, r.Prev = jobs.RowChanged, o.num
		k.counts.Changed++
	}
	if ok {
		o.used = true
		k.old[key] = o
	}
	return nil
}

// finish settles the key of a first version and the refresh's counts.
func (k *rowKeys) finish(d *jobs.Dataset, header []string) {
	d.KeyColumn = k.key
	if k.key == "" && !k.refresh {
		for _, w := range k.watch {
			if w.ok {
				d.KeyColumn = header[w.col]
				break
			}
		}
	}
	if k.refresh {
		k.counts.Removed = int64(len(k.old)) - k.counts.Kept - k.counts.Changed
		d.Refresh = k.counts
	}
}
