dofile("bench/lua/common.lua")
