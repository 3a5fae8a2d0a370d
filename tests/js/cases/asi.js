const a = 1
const b = 2
const c = a
+ b
print(c)
let d = [1, 2]
;[3, 4].forEach(n => print("each", n))
const e = 5
;(function () { print("iife") })()
function r() {
  return
  42
}
print(r())
let i = 0
i
++
i
print(i)
const re = /ab+c/g
print(re.test("abbc"))
const div = 10 / 2 / 1
print(div)
const g = 2, h = 4
print(h / g / 1)
if (true) /x/.test("x") && print("regex after paren")
const arr = [4]
print(arr[0] / 2)
const s = `x`
print(s)
var x = 1; { print("block after var") }
