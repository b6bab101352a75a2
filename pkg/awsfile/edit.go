package awsfile

import (
	"fmt"
	"strings"
)

// plan is one edit expressed on the current lines' indexes, applied at once.
type plan struct {
	replace    map[int]string
	remove     map[int]bool
	after      map[int][]string
	newSection []string // header and lines of a section added at the end
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
	section = normSection(section)
	last := -1
	for i, l := range d.lines {
		if l.section == section && (l.kind == kHeader || l.kind == kKey || l.kind == kNested) {
			last = i
		}
	}
	return last
}

// withValue returns line i's text with its value replaced by v (or removed when
// v is ""), keeping the key, the delimiter and the spacing around the value.
func (d *Doc) withValue(i int, v string) string {
	t := d.lines[i].text
	at := d.lines[i].valAt
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
		if n == 1 && d.lines[last].value == value && len(d.childLines(last, "")) == 0 {
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
		if d.lines[pi].value != "" {
			p.replace[pi] = d.withValue(pi, "")
		}
		if cs := d.childLines(pi, key); len(cs) > 0 {
			last := cs[len(cs)-1]
			if n == 1 && len(cs) == 1 && d.lines[last].value == value {
				return nil
			}
			for _, c := range cs[:len(cs)-1] {
				p.remove[c] = true
			}
			p.replace[last] = d.withValue(last, value)
		} else {
			indent, anchor := "", pi
			for _, c := range d.childLines(pi, "") {
				l := d.lines[c]
				if l.hasEq && indent == "" {
					indent = l.text[:len(l.text)-len(strings.TrimLeft(l.text, " \t"))]
				}
				if strings.TrimSpace(l.text) != "" {
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
	name := normSection(section)
	p := newPlan()
	n := len(d.lines)
	for h, l := range d.lines {
		if l.kind != kHeader || l.section != name {
			continue
		}
		e := h
		for i := h + 1; i < n && d.lines[i].section == name && d.lines[i].kind != kHeader; i++ {
			if k := d.lines[i].kind; k == kKey || k == kNested {
				e = i
			}
		}
		j := e + 1
		for j < n && d.lines[j].kind == kBlank {
			j++
		}
		start := h
		if j == n {
			for start > 0 && d.lines[start-1].kind == kBlank {
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

// apply carries out p on a copy of d, checks that every line the edit did not
// write keeps its meaning and that ok holds, and only then replaces d's lines.
func (d *Doc) apply(op string, p *plan, ok func(*Doc) bool) error {
	var out []line
	for i, l := range d.lines {
		l.orig = i
		if !p.remove[i] {
			if t, has := p.replace[i]; has {
				l.text, l.touched = t, true
			}
			out = append(out, l)
		}
		for _, t := range p.after[i] {
			out = append(out, line{text: t, orig: -1})
		}
	}
	if p.newSection != nil {
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1].text) != "" {
			out = append(out, line{orig: -1})
		}
		for _, t := range p.newSection {
			out = append(out, line{text: t, orig: -1})
		}
	}
	nd := &Doc{bom: d.bom, lines: out, eol: d.eol, finalNL: d.finalNL}
	nd.fixEnds()
	if err := nd.classify(); err != nil {
		return fmt.Errorf("%s: the result would not parse (%w)", op, err)
	}
	for i, l := range nd.lines {
		if l.orig < 0 || l.touched {
			continue
		}
		o := d.lines[l.orig]
		same := l.kind == o.kind
		switch l.kind {
		case kHeader, kKey:
			same = same && l.section == o.section && l.key == o.key && l.value == o.value
		case kNested:
			same = same && l.parent >= 0 && nd.lines[l.parent].orig == o.parent
		}
		// The AWS CLI (Python's configparser) reads an indented line as the
		// continuation of the key above it, so such a line keeps its neighbour.
		if same && l.kind == kKey && isSpaceTab(l.text[0]) {
			pn, po := prevContent(nd.lines, i), prevContent(d.lines, l.orig)
			same = pn >= 0 && nd.lines[pn].orig == po || pn < 0 && po < 0
		}
		if !same {
			return fmt.Errorf("%s: refused, it would change the meaning of line %d (check its indentation)", op, l.orig+1)
		}
	}
	if err := validateINI(nd.Bytes(), nd); err != nil {
		return fmt.Errorf("%s: the result would not parse (%w)", op, err)
	}
	if !ok(nd) {
		return fmt.Errorf("%s: refused, the result would not read back as intended", op)
	}
	for i := range nd.lines {
		nd.lines[i].orig, nd.lines[i].touched = i, false
	}
	d.lines = nd.lines
	return nil
}

// fixEnds gives every line but the last a line ending (the file's own) and the
// last one the file's final-newline state.
func (d *Doc) fixEnds() {
	for i := range d.lines {
		l := &d.lines[i]
		last := i == len(d.lines)-1
		switch {
		case !last || d.finalNL:
			if l.eol == "" {
				l.eol = d.eol
			}
		default:
			l.eol = ""
		}
	}
}

// prevContent is the index of the nearest header, key or nested line before i, or -1.
func prevContent(ls []line, i int) int {
	for j := i - 1; j >= 0; j-- {
		if k := ls[j].kind; k == kHeader || k == kKey || k == kNested {
			return j
		}
	}
	return -1
}
