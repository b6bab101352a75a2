package awsfile

import (
	"fmt"
	"slices"
	"strings"
)

// plan is one edit expressed on the current lines' indexes, applied at once.
type plan struct {
	replace    map[int]string
	remove     map[int]bool
	after      map[int][]string
	newSection []string // header and lines of a section added at the end
}

// texts are the lines p writes.
func (p *plan) texts() []string {
	out := slices.Clone(p.newSection)
	for _, t := range p.replace {
		out = append(out, t)
	}
	for _, ts := range p.after {
		out = append(out, ts...)
	}
	return out
}

func newPlan() *plan {
	return &plan{replace: map[int]string{}, remove: map[int]bool{}, after: map[int][]string{}}
}

// removeKey removes the key line i and its nested block.
func (d *Doc) removeKey(p *plan, i int) {
	p.remove[i] = true
	for _, c := range d.childLines(i, "") {
		p.remove[c] = true
	}
}

// lastContent is the index of the last header, key or nested line of section, or -1.
func (d *Doc) lastContent(section string) int {
	last := -1
	d.spans(section, func(start, end int) bool {
		for i := end - 1; i >= start; i-- {
			if k := d.lines[i].kind(); k == kHeader || k == kKey || k == kNested {
				last = i
				break
			}
		}
		return true
	})
	return last
}

// withValue returns line i's text with its value replaced by v (or removed when
// v is ""), keeping the key, the delimiter and the spacing around the value.
func (d *Doc) withValue(i int, v string) string {
	t := d.text(i)
	at := d.fields(i).valAt
	head, part := t[:at], t[at:]
	if v == "" {
		return strings.TrimRight(head, " \t")
	}
	body := strings.TrimLeft(part, " \t")
	ws := part[:len(part)-len(body)]
	trimmed := strings.TrimRight(body, " \t")
	trail := body[len(trimmed):]
	if trimmed == "" {
		ws, trail = "", ""
		if len(head) >= 2 && (head[len(head)-2] == ' ' || head[len(head)-2] == '\t') {
			ws = " "
		}
	}
	return head + ws + v + trail
}

// addLines puts lines at the end of section, or in a new section at the end of
// the file.
func (d *Doc) addLines(p *plan, section string, lines ...string) {
	if j := d.lastContent(section); j >= 0 {
		p.after[j] = append(p.after[j], lines...)
		return
	}
	if p.newSection == nil {
		p.newSection = []string{"[" + section + "]"}
	}
	p.newSection = append(p.newSection, lines...)
}

// Set sets key in section to value: in place when the key exists (keeping the
// line's spacing; repeated copies of the key and a nested block under it are
// removed), else as a new "key = value" line after the section's last key,
// creating the section at the end of the file when it is missing. Keys, values
// and section names that would not read back exactly are refused.
func (d *Doc) Set(section, key, value string) error {
	if err := checkEdit(section, key); err != nil {
		return fmt.Errorf("set %s in [%s]: %w", key, section, err)
	}
	if err := checkValue(key, value); err != nil {
		return fmt.Errorf("set %s in [%s]: %w", key, section, err)
	}
	p := newPlan()
	occ := d.keyLines(section, key)
	if n := len(occ); n > 0 {
		last := occ[n-1]
		if n == 1 && d.value(last) == value && len(d.childLines(last, "")) == 0 {
			return nil
		}
		for _, o := range occ[:n-1] {
			d.removeKey(p, o)
		}
		for _, c := range d.childLines(last, "") {
			p.remove[c] = true
		}
		p.replace[last] = d.withValue(last, value)
	} else {
		d.addLines(p, section, key+" = "+value)
	}
	return d.apply("set "+key+" in ["+section+"]", p, func(nd *Doc) bool {
		got, ok := nd.Get(section, key)
		return ok && got == value
	})
}

// SetNested sets key = value in the nested block under parent in section, as the
// AWS config file's services sections use it:
//
//	[services snow]
//	sts =
//	  endpoint_url = http://192.0.2.10:7078
//
// A scalar value of parent is dropped; other nested keys are kept. A new child is
// indented like its siblings (two spaces when it has none).
func (d *Doc) SetNested(section, parent, key, value string) error {
	op := "set " + parent + "." + key + " in [" + section + "]"
	if err := checkEdit(section, parent); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkKey(key); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkValue(key, value); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	p := newPlan()
	ps := d.keyLines(section, parent)
	if n := len(ps); n > 0 {
		pi := ps[n-1]
		for _, o := range ps[:n-1] {
			d.removeKey(p, o)
		}
		if d.value(pi) != "" {
			p.replace[pi] = d.withValue(pi, "")
		}
		if cs := d.childLines(pi, key); len(cs) > 0 {
			last := cs[len(cs)-1]
			if n == 1 && len(cs) == 1 && d.value(last) == value {
				return nil
			}
			for _, c := range cs[:len(cs)-1] {
				p.remove[c] = true
			}
			p.replace[last] = d.withValue(last, value)
		} else {
			indent, anchor := "", pi
			for _, c := range d.childLines(pi, "") {
				t := d.text(c)
				if d.fields(c).hasEq && indent == "" {
					indent = t[:len(t)-len(strings.TrimLeft(t, " \t"))]
				}
				if strings.TrimSpace(t) != "" {
					anchor = c
				}
			}
			if indent == "" {
				indent = "  "
			}
			p.after[anchor] = append(p.after[anchor], indent+key+" = "+value)
		}
	} else {
		d.addLines(p, section, parent+" =", "  "+key+" = "+value)
	}
	return d.apply(op, p, func(nd *Doc) bool {
		got, ok := nd.GetNested(section, parent, key)
		return ok && got == value
	})
}

// Delete removes every copy of key (and its nested block) from section.
func (d *Doc) Delete(section, key string) error {
	p := newPlan()
	for _, o := range d.keyLines(section, key) {
		d.removeKey(p, o)
	}
	if len(p.remove) == 0 {
		return nil
	}
	return d.apply("delete "+key+" from ["+section+"]", p, func(nd *Doc) bool {
		_, ok := nd.Get(section, key)
		return !ok
	})
}

// DeleteNested removes key from the nested block under parent in section; the
// parent line stays.
func (d *Doc) DeleteNested(section, parent, key string) error {
	p := newPlan()
	for _, pi := range d.keyLines(section, parent) {
		for _, c := range d.childLines(pi, key) {
			p.remove[c] = true
		}
	}
	if len(p.remove) == 0 {
		return nil
	}
	return d.apply("delete "+parent+"."+key+" from ["+section+"]", p, func(nd *Doc) bool {
		_, ok := nd.GetNested(section, parent, key)
		return !ok
	})
}

// DeleteSection removes every copy of section: its header, its lines and the
// blank lines after it. Comments after its last key stay, as they usually
// describe the next section. The managed mark is a key, so it goes too.
func (d *Doc) DeleteSection(section string) error {
	p := newPlan()
	n := len(d.lines)
	var heads []int
	d.spans(section, func(start, _ int) bool { heads = append(heads, start); return true })
	for _, h := range heads {
		e := h
		for i := h + 1; i < n && d.lines[i].kind() != kHeader; i++ {
			if k := d.lines[i].kind(); k == kKey || k == kNested {
				e = i
			}
		}
		j := e + 1
		for j < n && d.lines[j].kind() == kBlank {
			j++
		}
		start := h
		if j == n {
			for start > 0 && d.lines[start-1].kind() == kBlank {
				start--
			}
		}
		for i := start; i < j; i++ {
			p.remove[i] = true
		}
	}
	if len(p.remove) == 0 {
		return nil
	}
	return d.apply("delete section ["+section+"]", p, func(nd *Doc) bool { return !nd.Has(section) })
}

func checkEdit(section, key string) error {
	if err := checkSection(section); err != nil {
		return err
	}
	return checkKey(key)
}

// apply carries out p on a copy of the lines it changes, checks that every
// line the edit did not write keeps its meaning and that ok holds, and only
// then puts the new lines in d. Only a region is read again: from the header
// of the first section the edit touches to the first header after its last
// change that is a header before and after the edit (the parser's state is
// reset by a header, so nothing after it can change meaning).
func (d *Doc) apply(op string, p *plan, ok func(*Doc) bool) error {
	n := len(d.lines)
	lo, hi := n, -1 // the old lines the plan names
	mark := func(i int) { lo, hi = min(lo, i), max(hi, i) }
	for i := range p.replace {
		mark(i)
	}
	for i := range p.remove {
		mark(i)
	}
	for i := range p.after {
		mark(i)
	}
	if p.newSection != nil {
		mark(max(n-1, 0))
		hi = n - 1
	}
	if lo > hi && p.newSection == nil {
		if !ok(d) {
			return fmt.Errorf("%s: refused, the result would not read back as intended", op)
		}
		return nil
	}
	// The region starts at a header the edit keeps (or at the top).
	s := 0
	heads := d.index().heads
	k0, _ := slices.BinarySearch(heads, int32(lo)+1)
	for k := k0 - 1; k >= 0; k-- {
		if h := int(heads[k]); !p.remove[h] {
			if _, r := p.replace[h]; !r {
				s = h
				break
			}
		}
	}
	for _, t := range p.texts() {
		if len(t) > maxLine {
			return fmt.Errorf("%s: %w line: longer than 16 MB", op, ErrInvalid)
		}
	}
	// The texts the edit writes go to the end of added; d sees them only
	// when the edit is accepted.
	added := d.added
	var out []line
	var meta []regionLine // for each line of out
	keep := func(i int, l line, touched bool) {
		out = append(out, l)
		meta = append(meta, regionLine{orig: int32(i), touched: touched})
	}
	write := func(t string) {
		added = append(added, t)
		out = append(out, newLine(len(added)-1, len(t), eolNone, true))
		meta = append(meta, regionLine{orig: -1})
	}
	for i := s; i <= hi; i++ {
		if !p.remove[i] {
			l := d.lines[i]
			t, has := p.replace[i]
			if has {
				added = append(added, t)
				l = newLine(len(added)-1, len(t), l.eol(), true)
			}
			keep(i, l, has)
		}
		for _, t := range p.after[i] {
			write(t)
		}
	}
	nd := &Doc{bom: d.bom, src: d.src, eol: d.eol, finalNL: d.finalNL}
	if p.newSection != nil {
		if len(out) > 0 {
			nd.lines, nd.added = out, added
			if strings.TrimSpace(nd.text(len(out)-1)) != "" {
				write("")
			}
		}
		for _, t := range p.newSection {
			write(t)
		}
	}
	nd.lines, nd.added = out, added
	e := hi + 1 // the old lines [s, e) are replaced by out
	var c classifier
	classified := 0
	classify := func() error {
		for ; classified < len(nd.lines); classified++ {
			if err := c.step(&nd.lines[classified], nd.raw(classified), s+classified+1); err != nil {
				return err
			}
		}
		return nil
	}
	nd.fixEnds(e == n)
	if err := classify(); err != nil {
		return fmt.Errorf("%s: the result would not parse (%w)", op, err)
	}
	// Read on until an old header is a header again.
	for e < n {
		l := d.lines[e]
		nd.lines = append(nd.lines, l)
		meta = append(meta, regionLine{orig: int32(e)})
		e++
		// No line ending changes: only the file's last line can lack one,
		// and it is still the last.
		if err := classify(); err != nil {
			return fmt.Errorf("%s: the result would not parse (%w)", op, err)
		}
		if l.kind() == kHeader && nd.lines[len(nd.lines)-1].kind() == kHeader {
			break
		}
	}
	section := "" // the section of nd.lines[i]
	for i := range nd.lines {
		l := &nd.lines[i]
		if l.kind() == kHeader {
			section = nd.headerName(i)
		}
		if meta[i].orig < 0 || meta[i].touched {
			continue
		}
		oi := int(meta[i].orig)
		o := &d.lines[oi]
		same := l.kind() == o.kind()
		switch l.kind() {
		case kHeader:
			same = same && section == d.headerName(oi)
		case kKey:
			same = same && section == d.sectionOf(oi) && nd.key(i) == d.key(oi) && nd.value(i) == d.value(oi)
		case kNested:
			pn, po := parent(nd.lines, i), parent(d.lines, oi)
			same = same && pn >= 0 && int(meta[pn].orig) == po
		}
		// The AWS CLI (Python's configparser) reads an indented line as the
		// continuation of the key above it, so such a line keeps its neighbour.
		if same && l.kind() == kKey && isSpaceTab(nd.text(i)[0]) {
			pn, po := prevContent(nd.lines, i), prevContent(d.lines, oi)
			same = pn >= 0 && int(meta[pn].orig) == po || pn < 0 && po < 0
		}
		if !same {
			return fmt.Errorf("%s: refused, it would change the meaning of line %d (check its indentation)", op, oi+1)
		}
	}
	nd.editLo, nd.editHi, nd.edited = 0, len(nd.lines), true
	bom := ""
	if s == 0 {
		bom = d.bom
	}
	if err := validateINI(bom, nd, s+1); err != nil {
		return fmt.Errorf("%s: the result would not parse (%w)", op, err)
	}
	// Every line the edit can affect is in the region, so ok can read it alone.
	if !ok(nd) {
		return fmt.Errorf("%s: refused, the result would not read back as intended", op)
	}
	d.added = nd.added
	d.replaceLines(s, e, nd.lines)
	return nil
}

// regionLine is what apply knows of a line of the region it reads again.
type regionLine struct {
	orig    int32 // index of the line in the doc before the edit, -1 when written by the edit
	touched bool  // rewritten by the edit
}

// replaceLines puts region (whose added texts d holds) in place of the lines
// [s, e) and updates the index.
func (d *Doc) replaceLines(s, e int, region []line) {
	old := d.index()
	delta := len(region) - (e - s)
	a, _ := slices.BinarySearch(old.heads, int32(s))
	b, _ := slices.BinarySearch(old.heads, int32(e))
	var oldNames, newNames []string
	for _, h := range old.heads[a:b] {
		oldNames = append(oldNames, d.headerName(int(h)))
	}
	r := len(region)
	switch {
	case !d.edited:
		d.editLo, d.editHi, d.edited = s, s+r, true
	case d.editHi >= e:
		d.editLo, d.editHi = min(d.editLo, s), d.editHi+delta
	default:
		d.editLo, d.editHi = min(d.editLo, s), s+r
	}
	if d.shared {
		ls := make([]line, 0, len(d.lines)+delta)
		ls = append(ls, d.lines[:s]...)
		ls = append(ls, region...)
		d.lines = append(ls, d.lines[e:]...)
		d.shared = false
	} else {
		d.lines = slices.Replace(d.lines, s, e, region...)
	}
	heads := make([]int32, 0, len(old.heads)-(b-a)+len(region))
	heads = append(heads, old.heads[:a]...)
	for i := range region {
		if region[i].kind() == kHeader {
			heads = append(heads, int32(s+i))
			newNames = append(newNames, d.headerName(s+i))
		}
	}
	for _, h := range old.heads[b:] {
		heads = append(heads, h+int32(delta))
	}
	if slices.Equal(oldNames, newNames) {
		d.idx = &index{heads: heads, next: old.next, hash: old.hash, slots: old.slots}
	} else {
		d.idx = newIndex(d, heads, nil, nil)
	}
}

// fixEnds gives every line but the last a line ending (the file's own) and,
// when atEOF, the last one the file's final-newline state.
func (d *Doc) fixEnds(atEOF bool) {
	for i := range d.lines {
		l := &d.lines[i]
		last := atEOF && i == len(d.lines)-1
		switch {
		case !last || d.finalNL:
			if l.eol() == eolNone {
				l.setEOL(eolCode(d.eol))
			}
		default:
			l.setEOL(eolNone)
		}
	}
}

// parent is the index of the key line a nested line i belongs to: the nearest
// key line above it, or -1.
func parent(ls []line, i int) int {
	for j := i - 1; j >= 0; j-- {
		if ls[j].kind() == kKey {
			return j
		}
	}
	return -1
}

// prevContent is the index of the nearest header, key or nested line before i, or -1.
func prevContent(ls []line, i int) int {
	for j := i - 1; j >= 0; j-- {
		if k := ls[j].kind(); k == kHeader || k == kKey || k == kNested {
			return j
		}
	}
	return -1
}
