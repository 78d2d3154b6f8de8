package match

import (
	"regexp"
	"strings"
)

// Catalogues of people often write the life dates with the name, and
// nowhere else: "Nilsson, Karl (1840-1900)", "Strindberg, August,
// 1849-1912" (the library heading), "Berg, Anna (b. 1850)", "(d. 1900)",
// "(1840–)". A person-form label column reads them as the row's birth and
// death dates (Column.LifeDates), so that a name with its dates is
// confirmed or contradicted like a name with date columns, and a namesake
// of another century is told apart.

var (
	lifeYear    = `((?:(?:c|ca|circa|omkr)\.?\s*)?\d{3,4}\??)`
	lifeBorn    = regexp.MustCompile(`(?i)^(?:b|born|född|f|geb|geboren|né|née|n)\.?\s*` + lifeYear + `$`)
	lifeDied    = regexp.MustCompile(`(?i)^(?:d|died|död|gest|gestorben|mort|morte|†)\.?\s*` + lifeYear + `$`)
	lifeSpan    = regexp.MustCompile(`(?i)^` + lifeYear + `?\s*[-–—]\s*` + lifeYear + `?$`)
	lifeSegment = regexp.MustCompile(`[(\[]([^()\[\]]*)[)\]]|[,;]\s*([^,;()\[\]]*\d[^,;()\[\]]*)$`)
)

// lifeDates are the birth and death dates written in a person's name, as
// catalogue dates ("1840", "c. 1840"); empty when it gives none. Only
// segments that are nothing but life dates count: "(painter)" and
// "(active 1650)" give none.
func lifeDates(name string) (born, died string) {
	for _, m := range lifeSegment.FindAllStringSubmatch(tidy(name), -1) {
		seg := strings.TrimSpace(m[1] + m[2])
		var b, d string
		if x := lifeBorn.FindStringSubmatch(seg); x != nil {
			b = x[1]
		} else if x := lifeDied.FindStringSubmatch(seg); x != nil {
			d = x[1]
		} else if x := lifeSpan.FindStringSubmatch(seg); x != nil && (x[1] != "" || x[2] != "") {
			b, d = x[1], x[2]
		} else {
			continue
		}
		if _, ok := parseDateSpan(b); b != "" && !ok {
			continue
		}
		if _, ok := parseDateSpan(d); d != "" && !ok {
			continue
		}
		return b, d
	}
	return "", ""
}

// LifeDates are the properties a person's life dates are compared with.
type LifeDates struct {
	Born string `json:"born"`
	Died string `json:"died"`
}

// lifeDateProperties are a label column's birth and death properties
// (Column.LifeDates): by default, for names of people on Wikidata, date
// of birth (P569) and date of death (P570); none elsewhere, since another
// Wikibase numbers its properties its own way.
func (t *Template) lifeDateProperties(col string) (born, died string) {
	c := t.Columns[col]
	if c.LifeDates != nil {
		return c.LifeDates.Born, c.LifeDates.Died
	}
	if c.Role == RoleLabel && t.labelForm(col) == FormPerson && t.Wikibase.PropertyPrefix == DefaultPropertyPrefix {
		return "P569", "P570"
	}
	return "", ""
}

// lifeFacts are the time facts a row's person names carry, for the
// properties no filled date column of the row already gives.
func (e *Engine) lifeFacts(r Row, have []idFact) []idFact {
	given := map[string]bool{}
	for _, f := range have {
		if f.Kind == KindTime {
			given[f.Property] = true
		}
	}
	var out []idFact
	for _, col := range e.t.labelColumns() {
		v := strings.TrimSpace(r.Values[col])
		if v == "" || e.t.labelForm(col) != FormPerson {
			continue
		}
		bp, dp := e.t.lifeDateProperties(col)
		b, d := lifeDates(v)
		for _, x := range [][2]string{{bp, b}, {dp, d}} {
			if x[0] == "" || x[1] == "" || given[x[0]] {
				continue
			}
			given[x[0]] = true
			out = append(out, idFact{Column: col + " (" + x[0] + " from the name)", Property: x[0], Kind: KindTime, Value: x[1]})
		}
	}
	return out
}
