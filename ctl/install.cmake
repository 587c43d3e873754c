# ctl/install.cmake - what "cmake --install" puts where (included from
# ctl/CMakeLists.txt).
#
#   ${prefix}/sbin/vstackd, ${prefix}/bin/vstackctl
#   VSTACK_SYSTEMD_UNITDIR/vstackd.service
#   ${prefix}/share/man/man8/vstackd.8, vstackctl.8, man5/vstackd.conf.5
#   ${prefix}/share/doc/vstack/vstackd.conf.example
#   /etc/vstack/vstackd.conf, only if there is none yet (never overwritten)
#
# The unit's ExecStart names ${prefix}/sbin/vstackd as configured, so pick
# the prefix when configuring (-DCMAKE_INSTALL_PREFIX=/usr) and stage with
# DESTDIR, not with "cmake --install --prefix", which would move the files
# but not the path in the unit.
include(GNUInstallDirs)

# systemd looks for units in /usr/local/lib/systemd/system too, so a
# /usr/local install needs nothing from pkg-config; for /usr, the
# distribution's directory (/lib/systemd/system on Debian 12).
# (Not CMAKE_INSTALL_LIBDIR: a multiarch lib/x86_64-linux-gnu is not
# where units go.)
set(_vstack_unitdir lib/systemd/system)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(_vstack_sd_unitdir systemd systemdsystemunitdir)
  if(_vstack_sd_unitdir)
    set(_vstack_unitdir ${_vstack_sd_unitdir})
  endif()
endif()
set(VSTACK_SYSTEMD_UNITDIR ${_vstack_unitdir} CACHE STRING
    "Where vstackd.service goes (relative: below the install prefix)")

configure_file(${CMAKE_CURRENT_SOURCE_DIR}/systemd/vstackd.service.in
               ${CMAKE_CURRENT_BINARY_DIR}/vstackd.service @ONLY)

install(TARGETS vstackd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS vstackctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vstackd.service
        DESTINATION ${VSTACK_SYSTEMD_UNITDIR})
install(FILES man/vstackd.8 man/vstackctl.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES man/vstackd.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES vstackd.conf.example DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The unit reads /etc/vstack/vstackd.conf (ConfigurationDirectory=vstack)
# and vstackd refuses a --config file that does not exist, so install the
# all-defaults example there, unless the host already has one: an
# administrator's configuration is never overwritten. (file(INSTALL) adds
# DESTDIR itself; the test for an existing file must add it by hand.)
install(CODE "
  set(_conf \"\$ENV{DESTDIR}/etc/vstack/vstackd.conf\")
  if(EXISTS \"\${_conf}\")
    message(STATUS \"Keeping: \${_conf}\")
  else()
    file(INSTALL \"${CMAKE_CURRENT_SOURCE_DIR}/vstackd.conf.example\"
         DESTINATION /etc/vstack
         RENAME vstackd.conf PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
")
