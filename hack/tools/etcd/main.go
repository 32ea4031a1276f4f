// Command etcd is the etcd server built from its Go module. etcd's own main
// package lives in a module with replace directives, so `go install` refuses
// it; this wrapper calls the same entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
