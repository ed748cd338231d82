# cmake -DNPM=<npm> -DCONSOLE_DIR=<console/> -P ConsoleNpmCi.cmake
#
# Runs `npm ci` in console/ unless node_modules was installed from this very package-lock.json
# (its SHA-256 is kept in node_modules/.tessera-lock.sha256, the build's output for this step).
# Build directories share console/node_modules: the second one to build finds it current.
file(SHA256 ${CONSOLE_DIR}/package-lock.json lock_hash)
set(marker ${CONSOLE_DIR}/node_modules/.tessera-lock.sha256)
set(installed "")
if(EXISTS ${marker})
  file(READ ${marker} installed)
  string(STRIP "${installed}" installed)
endif()
if(NOT installed STREQUAL lock_hash)
  message(STATUS "console: npm ci --no-audit --no-fund")
  execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY ${CONSOLE_DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "console: npm ci failed (${rc}); the registry must be reachable for the "
                        "first build, or console/node_modules installed from package-lock.json")
  endif()
  file(WRITE ${marker} "${lock_hash}\n")
endif()
# Newer than package-lock.json even when the install was current: the step is done.
file(TOUCH ${marker})
