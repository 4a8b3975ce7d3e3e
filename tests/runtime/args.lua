print(arg[0], #arg, ...)
print(arg[1], arg[2])
