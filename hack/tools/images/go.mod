// The images the real node runs, built from source without Docker: a pause
// program, a test agent, and the tool that packs them (and the operator) into
// `docker save`-style tars for `ctr images import`. Standard library only, so
// a build needs no module download.
module agent-operator.local/images

go 1.26
