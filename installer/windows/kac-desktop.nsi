; The Windows installer of kac_desktop: a per-user install that needs no administrator rights.
;   makensis -DVERSION=0.2.0 -DBUNDLE=dist\kac-desktop -DOUTFILE=dist\kac-desktop-0.2.0-setup.exe
;            -DROOT=. installer\windows\kac-desktop.nsi
; `python installer/build.py windows` passes these from the one version in kac_desktop/__init__.py.
;
; Program files go to %LOCALAPPDATA%\Programs\kac-desktop.  The user's data (the database, its
; backups, the error log) lives in %LOCALAPPDATA%\kac_desktop, which this installer never writes
; and the uninstaller never removes; an upgrade replaces the program files only.

Unicode true
!include "MUI2.nsh"
!include "FileFunc.nsh"

!ifndef VERSION
  !error "VERSION is not defined (pass -DVERSION=…)"
!endif
!ifndef BUNDLE
  !error "BUNDLE is not defined (the PyInstaller folder dist\kac-desktop)"
!endif
!ifndef OUTFILE
  !define OUTFILE "kac-desktop-${VERSION}-setup.exe"
!endif
!ifndef ROOT
  !define ROOT "..\.."
!endif

!define APP "kac-desktop"
!define APP_NAME_ZH "大客户管理"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"

Name "${APP_NAME_ZH} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "Software\${APP}" "InstallDir"
SetCompressor /SOLID lzma
BrandingText "kac_desktop ${VERSION}"

!define MUI_ICON "${ROOT}\resources\icons\kac-desktop.ico"
!define MUI_UNICON "${ROOT}\resources\icons\kac-desktop.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\kac-desktop.exe"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductName" "${APP_NAME_ZH}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileDescription" "${APP_NAME_ZH} 安装程序"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "LegalCopyright" "kac_desktop"

Section "Install"
  SetShellVarContext current
  ; an upgrade: the old program files go (never the data folder), then the new ones come
  IfFileExists "$INSTDIR\kac-desktop.exe" 0 fresh
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\kac-desktop.exe"
    Delete "$INSTDIR\kac-desktop-cli.exe"
  fresh:
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE}\*.*"
  File "${ROOT}\resources\icons\kac-desktop.ico"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APP_NAME_ZH}"
  CreateShortcut "$SMPROGRAMS\${APP_NAME_ZH}\${APP_NAME_ZH}.lnk" "$INSTDIR\kac-desktop.exe" "" "$INSTDIR\kac-desktop.ico"
  CreateShortcut "$SMPROGRAMS\${APP_NAME_ZH}\卸载 ${APP_NAME_ZH}.lnk" "$INSTDIR\uninstall.exe"
  CreateShortcut "$DESKTOP\${APP_NAME_ZH}.lnk" "$INSTDIR\kac-desktop.exe" "" "$INSTDIR\kac-desktop.ico"

  WriteRegStr HKCU "Software\${APP}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME_ZH}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "kac_desktop"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\kac-desktop.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  ; the program only: the user's data in $LOCALAPPDATA\kac_desktop stays
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\kac-desktop.exe"
  Delete "$INSTDIR\kac-desktop-cli.exe"
  Delete "$INSTDIR\kac-desktop.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP_NAME_ZH}\${APP_NAME_ZH}.lnk"
  Delete "$SMPROGRAMS\${APP_NAME_ZH}\卸载 ${APP_NAME_ZH}.lnk"
  RMDir "$SMPROGRAMS\${APP_NAME_ZH}"
  Delete "$DESKTOP\${APP_NAME_ZH}.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\${APP}"
SectionEnd
