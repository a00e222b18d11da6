// EC2 nested virtualization as a declared, diffable resource.
package nestedvirt
