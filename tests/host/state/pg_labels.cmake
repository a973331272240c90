# Included by ctest after the tests state_tests discovered (CMakeLists.txt here): the PostgreSQL
# instances are `loopback` (a server on 127.0.0.1) and `postgres`.
if(pg_state_tests)
  set_tests_properties(${pg_state_tests} PROPERTIES LABELS "loopback;postgres")
endif()
